package node_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

type firmwareJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	SizeBytes   int64  `json:"sizeBytes"`
	SHA256      string `json:"sha256"`
	DownloadURL string `json:"downloadUrl"`
}

type jobJSON struct {
	ID         string `json:"id"`
	FirmwareID string `json:"firmwareId"`
	Location   string `json:"location"`
	Status     string `json:"status"`
	Error      string `json:"error"`
	History    []struct {
		Status string    `json:"status"`
		At     time.Time `json:"at"`
	} `json:"history"`
	FileName    string `json:"fileName"`
	SizeBytes   int64  `json:"sizeBytes"`
	SHA256      string `json:"sha256"`
	UploadedAt  string `json:"uploadedAt"`
	DownloadURL string `json:"downloadUrl"`
}

func (j jobJSON) statuses() []string {
	var out []string
	for _, h := range j.History {
		out = append(out, h.Status)
	}
	return out
}

// rawRequest does a request with a raw body and returns the status and the body.
func rawRequest(t *testing.T, method, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// latestJob returns the newest job of a charger's firmware-updates or diagnostics list.
func latestJob(t *testing.T, url string) jobJSON {
	t.Helper()
	var out struct{ Items []jobJSON }
	if st, _ := call(t, "GET", url, nil, &out); st != 200 || len(out.Items) == 0 {
		t.Fatalf("GET %s = %d with %d jobs, want 200 with jobs", url, st, len(out.Items))
	}
	return out.Items[0]
}

// TestFirmwareUpdate: an operator uploads firmware to Joule and updates a
// simulated 1.6 charger with it; the charger downloads it from Joule,
// reports Downloading → Downloaded → Installing → Installed, reboots and
// boots with the new version. A download that fails is DownloadFailed, and
// FTP locations are refused.
func TestFirmwareUpdate(t *testing.T) {
	n := startNode(t, node.Config{})
	startSim(t, sim.Config{URL: n.WS, ID: "FW-1", MeterValueSampleInterval: time.Hour})
	api := n.Base + "/api/v1"

	image := bytes.Repeat([]byte("joule firmware 2.0.0\n"), 5000)
	var fw firmwareJSON
	st, body := rawRequest(t, "POST", api+"/firmware?name=2.0.0", "application/octet-stream", image)
	if st != 201 {
		t.Fatalf("POST /firmware = %d %s, want 201", st, body)
	}
	decodeBody(t, body, &fw)
	if fw.Name != "2.0.0" || fw.SizeBytes != int64(len(image)) || fw.SHA256 != sha256Hex(image) || fw.DownloadURL != api+"/firmware/"+fw.ID+"/download" {
		t.Errorf("uploaded firmware = %+v, want name 2.0.0, %d bytes, sha256 %s, an absolute download URL", fw, len(image), sha256Hex(image))
	}

	// A multipart upload takes its name from the file part.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	part, _ := w.CreateFormFile("file", "1.9.0")
	part.Write([]byte("older image"))
	w.Close()
	var fw2 firmwareJSON
	st, body = rawRequest(t, "POST", api+"/firmware", w.FormDataContentType(), mp.Bytes())
	if decodeBody(t, body, &fw2); st != 201 || fw2.Name != "1.9.0" || fw2.SizeBytes != 11 {
		t.Errorf("multipart POST /firmware = %d %s, want 201 named 1.9.0 with 11 bytes", st, body)
	}
	var list struct{ Items []firmwareJSON }
	call(t, "GET", api+"/firmware", nil, &list)
	if len(list.Items) != 2 || list.Items[0].ID != fw2.ID || list.Items[1].ID != fw.ID {
		t.Errorf("GET /firmware = %+v, want the two images, newest first", list.Items)
	}
	st, body = rawRequest(t, "GET", fw.DownloadURL, "", nil)
	if st != 200 || !bytes.Equal(body, image) {
		t.Errorf("GET %s = %d with %d bytes, want 200 with the uploaded %d bytes", fw.DownloadURL, st, len(body), len(image))
	}

	// FTP is out of scope.
	var problem struct{ Detail string }
	if st, _ := call(t, "POST", api+"/chargers/FW-1/firmware-updates", map[string]any{"location": "ftp://files.example.com/fw.bin"}, &problem); st != 400 || !strings.Contains(problem.Detail, "FTP") {
		t.Errorf("UpdateFirmware with an ftp location = %d %q, want 400 saying FTP is not supported", st, problem.Detail)
	}

	var job jobJSON
	if st, _ := call(t, "POST", api+"/chargers/FW-1/firmware-updates", map[string]any{"firmwareId": fw.ID}, &job); st != 201 || job.Location != fw.DownloadURL || job.FirmwareID != fw.ID {
		t.Fatalf("POST firmware-updates = %d %+v, want 201 with the firmware's download URL", st, job)
	}
	eventually(t, 10*time.Second, "FW-1 to boot with firmware 2.0.0", func() bool {
		var c struct {
			FirmwareVersion string `json:"firmwareVersion"`
			FirmwareStatus  string `json:"firmwareStatus"`
		}
		call(t, "GET", api+"/chargers/FW-1", nil, &c)
		return c.FirmwareVersion == "2.0.0" && c.FirmwareStatus == "Installed"
	})
	got := latestJob(t, api+"/chargers/FW-1/firmware-updates")
	if want := []string{"Downloading", "Downloaded", "Installing", "Installed"}; got.ID != job.ID || got.Status != "Installed" || !slices.Equal(got.statuses(), want) {
		t.Errorf("firmware job = %s %s %v, want %s Installed with history %v", got.ID, got.Status, got.statuses(), job.ID, want)
	}
	for i := 1; i < len(got.History); i++ {
		if got.History[i].At.Before(got.History[i-1].At) {
			t.Errorf("history %v is not in time order", got.History)
		}
	}

	// A file the charger cannot download ends the job DownloadFailed.
	var bad jobJSON
	call(t, "POST", api+"/chargers/FW-1/firmware-updates", map[string]any{"location": api + "/firmware/missing/download"}, &bad)
	eventually(t, 10*time.Second, "the bad update to fail", func() bool {
		return latestJob(t, api+"/chargers/FW-1/firmware-updates").Status == "DownloadFailed"
	})
	got = latestJob(t, api+"/chargers/FW-1/firmware-updates")
	if want := []string{"Downloading", "DownloadFailed"}; got.ID != bad.ID || !slices.Equal(got.statuses(), want) {
		t.Errorf("failed firmware job = %s %v, want %s with history %v", got.ID, got.statuses(), bad.ID, want)
	}
}

// TestDiagnosticsUpload: an operator asks a simulated charger for its
// diagnostics; it answers a file name, uploads the file to Joule's
// single-use URL with Uploading → Uploaded, and the operator downloads
// the same bytes.
func TestDiagnosticsUpload(t *testing.T) {
	n := startNode(t, node.Config{})
	startSim(t, sim.Config{URL: n.WS, ID: "DG-1", MeterValueSampleInterval: time.Hour})
	api := n.Base + "/api/v1"

	var job jobJSON
	if st, _ := call(t, "POST", api+"/chargers/DG-1/diagnostics", map[string]any{"retries": 1}, &job); st != 201 || !strings.HasPrefix(job.FileName, "DG-1-diagnostics-") {
		t.Fatalf("POST diagnostics = %d %+v, want 201 with the charger's file name", st, job)
	}
	eventually(t, 10*time.Second, "the diagnostics upload", func() bool {
		return latestJob(t, api+"/chargers/DG-1/diagnostics").Status == "Uploaded"
	})
	got := latestJob(t, api+"/chargers/DG-1/diagnostics")
	if want := []string{"Uploading", "Uploaded"}; got.ID != job.ID || !slices.Equal(got.statuses(), want) || got.UploadedAt == "" ||
		got.DownloadURL != api+"/diagnostics/"+job.ID+"/file" {
		t.Fatalf("diagnostics job = %+v, want %s Uploaded with history %v and a download URL", got, job.ID, want)
	}
	st, file := rawRequest(t, "GET", got.DownloadURL, "", nil)
	if st != 200 || int64(len(file)) != got.SizeBytes || sha256Hex(file) != got.SHA256 || !strings.Contains(string(file), "charger=DG-1") {
		t.Errorf("GET %s = %d %q, want 200 with the %d bytes the charger uploaded (sha256 %s)", got.DownloadURL, st, file, got.SizeBytes, got.SHA256)
	}

	// Upload URLs are unguessable and the file is not there before the upload.
	if st, _ := rawRequest(t, "PUT", api+"/diagnostics-uploads/not-a-token", "text/plain", []byte("x")); st != 404 {
		t.Errorf("PUT with an unknown token = %d, want 404", st)
	}
	if st, _ := rawRequest(t, "GET", api+"/diagnostics/nope/file", "", nil); st != 404 {
		t.Errorf("GET an unknown job's file = %d, want 404", st)
	}
}

func decodeBody(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
}
