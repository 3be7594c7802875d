package main

import (
	"fmt"
	"runtime/debug"
)

// version describes the build from the module and VCS information Go embeds.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "joule (unknown build)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return fmt.Sprintf("joule %s %s", v, bi.GoVersion)
}
