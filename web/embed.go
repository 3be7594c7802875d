// Package web serves Joule's browser front end: the mobile-first driver app
// at / and the operator view at /operator. Both are one single-page shell
// of plain HTML, CSS and JavaScript modules embedded in the binary, with no
// build step and nothing loaded from another origin. The app talks only to
// the HTTP API (/api/v1) and its event stream.
//
// Package web imports no other Joule package.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed app
var appFS embed.FS

// appRoutes are the first path segments of the app's own pages; any path
// under them is a deep link that gets the shell, and the app's router
// draws the page. Everything else is a file or a 404: the shell (whose
// router says the page does not exist) for what could be a page, a plain
// 404 for a missing file.
var appRoutes = map[string]bool{
	"":           true, // /
	"chargers":   true, // /chargers/{id}
	"sessions":   true, // /sessions/{id}
	"history":    true,
	"account":    true,
	"signin":     true,
	"signup":     true,
	"operator":   true, // /operator, /operator/chargers/{id}, /operator/sites, /operator/sessions, /operator/users, /operator/signin
	"index.html": true,
}

// contentTypes are set explicitly rather than from the OS MIME table,
// which differs between systems (.webmanifest and .js especially).
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".webmanifest": "application/manifest+json",
	".json":        "application/json",
}

// contentSecurityPolicy allows nothing but this origin: no CDN, no inline
// script. Styles set from script through the CSSOM are not affected.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"

// file is one embedded file, read once.
type file struct {
	name  string
	body  []byte
	ctype string
	etag  string
}

// Handler serves the embedded app. Files are served with an ETag and
// "Cache-Control: no-cache", so browsers revalidate cheaply and never run a
// stale shell after an upgrade; the service worker (sw.js) keeps the shell
// for offline use and is versioned by a hash of every file.
func Handler() http.Handler {
	h := &handler{files: map[string]*file{}, dirs: map[string]bool{}}
	sum := sha256.New()
	err := fs.WalkDir(appFS, "app", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := appFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "app/")
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			ctype = "application/octet-stream"
		}
		sum.Write([]byte(name))
		sum.Write(b)
		h.files[name] = &file{name: name, body: b, ctype: ctype}
		if dir, _, ok := strings.Cut(name, "/"); ok {
			h.dirs[dir] = true
		}
		return nil
	})
	if err != nil {
		panic("web: reading embedded app: " + err.Error()) // cannot happen: the files are compiled in
	}
	version := hex.EncodeToString(sum.Sum(nil))[:12]
	if sw, ok := h.files["sw.js"]; ok {
		sw.body = bytes.ReplaceAll(sw.body, []byte("__VERSION__"), []byte(version))
	}
	for _, f := range h.files {
		s := sha256.Sum256(f.body)
		f.etag = `"` + hex.EncodeToString(s[:8]) + `"`
	}
	return h
}

type handler struct {
	files map[string]*file // by path relative to app/; never modified after Handler
	dirs  map[string]bool  // the first segments of files in directories (js, icons)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	f, ok := h.files[name]
	status := http.StatusOK
	if !ok {
		first, _, _ := strings.Cut(name, "/")
		switch {
		case appRoutes[first]:
		case h.dirs[first] || first == "api" || strings.Contains(path.Base(name), "."):
			// A file that is not there (or a directory: there is no
			// listing), or an API path that reached the app.
			http.NotFound(w, r)
			return
		default:
			// Not a page of the app: the shell, whose router draws its
			// "Page not found" with a link home, as a 404.
			status = http.StatusNotFound
		}
		f = h.files["index.html"]
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", f.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if f.ctype == contentTypes[".html"] {
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("Referrer-Policy", "same-origin")
	}
	if name == "sw.js" {
		// Let the worker control the whole origin even if it is ever
		// served from a subpath.
		hd.Set("Service-Worker-Allowed", "/")
	}
	if status != http.StatusOK {
		hd.Del("ETag") // a 404 is not the shell's representation to revalidate
		hd.Set("Content-Length", strconv.Itoa(len(f.body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(f.body)
		}
		return
	}
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
