//! `poolcast report` pages in a real browser: for every bundled scenario, headless
//! Chromium opens `index.html`, every chart must render (an inline SVG with a real size,
//! shapes and text), the page must make no request at all (no resource timing entries, and
//! nothing reaches a proxy every request is routed to), and a screenshot is saved under
//! `target/tmp/report-screenshots/`.
//!
//! Chromium itself calls a few Google service hosts at start-up even with background
//! networking disabled (network time, account and search preconnects); those are told
//! apart by host. A positive control page with one external image proves that the proxy
//! and the resource probe do catch a page's request.
//!
//! Chromium is Debian's `chromium` (`.ci/run` installs it). Without it the test is skipped
//! with a message, except on CI (`CI` set), where a missing browser is a failure.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{code, poolcast, workspace};
use crate::report_cmd::{assert_self_contained, CHARTS};

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("POOLCAST_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Records every connection made to it: with `--proxy-server` pointing here and loopback
/// not bypassed, any HTTP(S) request the page makes lands here.
struct Tripwire {
    port: u16,
    hits: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Tripwire {
    fn start() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut buf = [0u8; 512];
                        let n = conn.read(&mut buf).unwrap_or(0);
                        let line = String::from_utf8_lossy(&buf[..n])
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_owned();
                        h.lock().unwrap().push(line);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Tripwire {
            port,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.hits.lock().unwrap().clone()
    }
}

/// Runs Chromium with the required flags and a fresh profile; returns stdout.
fn chromium(bin: &Path, profile: &Path, proxy_port: u16, extra: &[String], url: &str) -> String {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        // Fewer of Chromium's own start-up requests (they are filtered out anyway).
        "--disable-extensions",
        "--disable-features=NetworkTimeServiceQuerying,PreconnectToSearch",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--proxy-server=http://127.0.0.1:{proxy_port}"))
    // Chromium bypasses the proxy for loopback unless told not to.
    .arg("--proxy-bypass-list=<-loopback>")
    .args(extra)
    .arg(url)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    // A guard against a hung browser, not a measurement.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = reader.join().unwrap();
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("chromium failed ({status}):\n{err}");
            }
            return out;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Appended to a copy of the page: after load, records each chart's rendered box and
/// content and every resource the page fetched, into `<pre id="probe">`.
const PROBE: &str = r#"<script>
window.addEventListener('load', function () {
  var charts = Array.prototype.map.call(document.querySelectorAll('figure[data-chart]'), function (f) {
    var s = f.querySelector('svg');
    var r = s ? s.getBoundingClientRect() : {width: 0, height: 0};
    return {id: f.getAttribute('data-chart'), empty: f.hasAttribute('data-empty'),
            width: r.width, height: r.height,
            shapes: s ? s.querySelectorAll('path,polyline,line,rect,circle,polygon').length : 0,
            texts: s ? s.querySelectorAll('text').length : 0};
  });
  var resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({charts: charts, resources: resources,
                                    height: document.documentElement.scrollHeight});
  document.body.appendChild(pre);
});
</script>"#;

/// Hosts Chromium contacts on its own (not on behalf of the page).
const BROWSER_SERVICE_DOMAINS: [&str; 5] = [
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "gvt1.com",
    "googleusercontent.com",
];

/// The host of a proxy request line (`CONNECT host:443 HTTP/1.1`,
/// `GET http://host/path HTTP/1.1`).
fn request_host(line: &str) -> String {
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let target = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
        .unwrap_or(target);
    let host = target.split(['/', ':']).next().unwrap_or("");
    host.to_ascii_lowercase()
}

/// The proxied requests not made by Chromium for itself.
fn page_requests(hits: &[String]) -> Vec<String> {
    hits.iter()
        .filter(|l| {
            let h = request_host(l);
            !BROWSER_SERVICE_DOMAINS
                .iter()
                .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        })
        .cloned()
        .collect()
}

/// Loads `html` (with the probe) from its own directory and returns the probe's record.
fn probe(bin: &Path, dir: &Path, port: u16, html: &str, name: &str) -> serde_json::Value {
    std::fs::create_dir_all(dir).unwrap();
    let probed = html.replacen("</body>", &format!("{PROBE}</body>"), 1);
    std::fs::write(dir.join("index.html"), probed).unwrap();
    let dom = chromium(
        bin,
        &dir.join("profile"),
        port,
        &["--dump-dom".to_owned(), "--window-size=1280,900".to_owned()],
        &format!("file://{}", dir.join("index.html").display()),
    );
    let start = dom.find("<pre id=\"probe\">").unwrap_or_else(|| {
        panic!(
            "{name}: the probe did not run; DOM:\n{}",
            &dom[..dom.len().min(2000)]
        )
    });
    let body = &dom[start + "<pre id=\"probe\">".len()..];
    let body = &body[..body.find("</pre>").unwrap()];
    serde_json::from_str(&unescape(body)).unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn every_bundled_scenario_renders_in_chromium_without_requests() {
    let Some(bin) = find_chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed on CI; .ci/run installs it with apt-get");
        }
        eprintln!(
            "SKIPPED report_browser: chromium is not installed (apt-get install chromium); \
             set CI=1 to make this a failure"
        );
        return;
    };
    // Positive control: one external image must be seen by both checks.
    let control = tempfile::tempdir().unwrap();
    let wire = Tripwire::start();
    let seen = probe(
        &bin,
        control.path(),
        wire.port,
        "<html><body><img src=\"http://poolcast-tripwire.invalid/x.png\"></body></html>",
        "control",
    );
    let hits = page_requests(&wire.finish());
    assert!(
        hits.iter()
            .any(|l| request_host(l) == "poolcast-tripwire.invalid"),
        "the proxy did not see the control request: {hits:?}"
    );
    let resources = seen["resources"].as_array().unwrap();
    assert!(
        resources
            .iter()
            .any(|r| r.as_str().unwrap().contains("poolcast-tripwire.invalid")),
        "the probe did not see the control request: {resources:?}"
    );

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(workspace().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    scenarios.sort();
    assert!(!scenarios.is_empty());
    for scn in scenarios {
        let name = scn.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        let o = poolcast(&["report", scn.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(
            code(&o),
            0,
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let html = std::fs::read_to_string(out.join("index.html")).unwrap();
        assert_self_contained(&html);

        // The probe runs on a copy alone in its own directory, so even a relative file
        // reference would show up as a (failed) resource. One tripwire watches both
        // browser runs of this scenario.
        let wire = Tripwire::start();
        let probe = probe(&bin, &dir.path().join("probe"), wire.port, &html, &name);
        let charts = probe["charts"].as_array().unwrap();
        let ids: Vec<&str> = charts.iter().map(|c| c["id"].as_str().unwrap()).collect();
        for id in CHARTS {
            assert!(
                ids.contains(&id),
                "{name}: chart {id} missing from the page ({ids:?})"
            );
        }
        for c in charts {
            let (w, h) = (c["width"].as_f64().unwrap(), c["height"].as_f64().unwrap());
            assert!(
                w > 300.0 && h > 100.0,
                "{name}: chart {} renders {w}x{h}",
                c["id"]
            );
            // A chart with nothing to plot (no failures) shows its message instead.
            if c["empty"] != true {
                let shapes = c["shapes"].as_u64().unwrap();
                assert!(shapes >= 3, "{name}: chart {} has no shapes", c["id"]);
            }
            assert!(
                c["texts"].as_u64().unwrap() >= 1,
                "{name}: chart {} has no text",
                c["id"]
            );
        }
        let resources = probe["resources"].as_array().unwrap();
        assert!(
            resources.is_empty(),
            "{name}: the page fetched {resources:?}"
        );

        // The screenshot is of the report itself, at its full height (capped).
        let height = probe["height"].as_u64().unwrap_or(4000).clamp(900, 16_000);
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        chromium(
            &bin,
            &dir.path().join("profile-2"),
            wire.port,
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size=1280,{height}"),
            ],
            &format!("file://{}", out.join("index.html").display()),
        );
        let hits = page_requests(&wire.finish());
        assert!(
            hits.is_empty(),
            "{name}: network requests reached the proxy: {hits:?}"
        );
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{name}: no screenshot: {e}"));
        assert!(
            png.len() > 10_000 && &png[1..4] == b"PNG",
            "{name}: bad screenshot"
        );
    }
}
