//! One replica (the real `quire serve` process) under the abuse a public blog meets: parallel
//! password guesses, a sign-in flood from many addresses, deeply nested Markdown previews and
//! two 49-megapixel uploads at once. Throughout, a reader fetches a cached page; the test
//! measures what the reader saw, the process's peak memory and how soon its CPU is idle again.

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Replica, TempDir, TestDb, client, free_ports};
use crate::support::images::multipart;
use crate::support::process::{cpu_ticks, status_kib};
use crate::support::session::{PASSWORD, create_staff, sign_in};
use crate::{bounded, report, summary};

const TEST: &str = "abuse";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_under_abuse_keeps_serving_cached_pages_within_its_memory() {
    if crate::skip() {
        return;
    }
    bounded(Duration::from_secs(180), abuse()).await;
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    status_kib(pid, "VmRSS:").map_or(0.0, |kib| kib as f64 / 1024.0)
}

/// A 7000 × 7000 PNG (49 megapixels, under the 50 MP limit), small on the wire.
fn big_png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(7000, 7000, |x, y| {
        image::Rgb([seed, (x / 500) as u8, (y / 500) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Counts answers by status.
fn tally(statuses: &[u16]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n}× {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn abuse() {
    let db = TestDb::empty().await;
    let dir = TempDir::new("abuse");
    let port = free_ports(1)[0];
    let base = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("DATABASE_URL".to_owned(), db.url()),
        ("QUIRE_BIND".to_owned(), format!("127.0.0.1:{port}")),
        ("QUIRE_BASE_URL".to_owned(), base.clone()),
        (
            "QUIRE_DATA_DIR".to_owned(),
            dir.path().join("data").display().to_string(),
        ),
        // the sign-in flood comes from many addresses, through a trusted proxy (this test)
        (
            "QUIRE_TRUSTED_PROXIES".to_owned(),
            "127.0.0.1/32".to_owned(),
        ),
        ("QUIRE_UPLOAD_MAX_MB".to_owned(), "20".to_owned()),
        ("QUIRE_LOG".to_owned(), "warn".to_owned()),
        ("NO_COLOR".to_owned(), "1".to_owned()),
    ];
    let mut replica = Replica::new("replica", port, env, dir.path().join("replica.log"));
    replica.start();
    let http = client();
    replica.wait_ready(&http, Duration::from_secs(30)).await;
    let pid = replica.pid();
    let owner = create_staff(&db.pool, "owner").await;
    let writer = create_staff(&db.pool, "contributor").await;
    let idle_rss = rss_mib(pid);

    // a contributor's session, for previews and uploads
    let session = sign_in(&http, &base, &writer, PASSWORD).await;
    let (cookie, csrf) = (session.cookie, session.csrf);

    // the cached page a reader keeps asking for, and the memory watch
    assert_eq!(
        http.get(format!("{base}/welcome/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let stop = Arc::new(AtomicBool::new(false));
    let peak_kib = Arc::new(AtomicU64::new(0));
    let watch = {
        let (stop, peak) = (stop.clone(), peak_kib.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max((rss_mib(pid) * 1024.0) as u64, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let reader = {
        let (stop, http, url) = (stop.clone(), http.clone(), format!("{base}/welcome/"));
        tokio::spawn(async move {
            let (mut times, mut failures) = (Vec::new(), Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                match http.get(&url).send().await {
                    Ok(r) if r.status() == 200 => times.push(start.elapsed()),
                    Ok(r) => failures.push(r.status().to_string()),
                    Err(e) => failures.push(e.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            (times, failures)
        })
    };
    let abuse_start = Instant::now();

    // 1. thirty parallel guesses at one account, then the right password
    let guess = |password: &'static str| {
        let http = http.clone();
        let url = format!("{base}/admin/api/session");
        let owner = owner.clone();
        async move {
            http.post(url)
                .json(&json!({"email": owner, "password": password}))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    };
    let guesses = futures_util::future::join_all((0..30).map(|_| guess("wrong password"))).await;
    let right = guess(PASSWORD).await;
    report(
        TEST,
        format!(
            "30 parallel guesses at one account: {}; then the right password: {right}",
            tally(&guesses)
        ),
    );
    let verified = guesses.iter().filter(|s| **s == 401).count();
    assert!(verified <= 5, "{verified} guesses were checked");
    assert_eq!(right, 429, "the account is locked for the window");

    // 2. a flood of 200 sign-ins with unknown e-mails from 200 addresses, with previews and
    // two 49-megapixel uploads at the same time
    let flood = futures_util::future::join_all((0..200).map(|i| {
        let http = http.clone();
        let url = format!("{base}/admin/api/session");
        async move {
            http.post(url)
                .header(
                    "x-forwarded-for",
                    format!("198.18.{}.{}", i / 250, i % 250 + 1),
                )
                .json(&json!({"email": format!("nobody{i}@example.com"), "password": "guess"}))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    }));
    let bombs = [
        "> ".repeat(100_000),
        "<div>".repeat(50_000),
        "1. ".repeat(50_000),
    ];
    let previews = futures_util::future::join_all(bombs.iter().map(|markdown| {
        let http = http.clone();
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let url = format!("{base}/admin/api/preview");
        async move {
            let start = Instant::now();
            let status = http
                .post(url)
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .json(&json!({"markdown": markdown}))
                .timeout(Duration::from_secs(40))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16());
            (status, start.elapsed())
        }
    }));
    let images = [big_png(1), big_png(2)];
    let uploads = futures_util::future::join_all(images.iter().map(|png| {
        let http = http.clone();
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let (content_type, body) = multipart("big.png", "image/png", png);
        let url = format!("{base}/admin/api/images");
        async move {
            let start = Instant::now();
            let status = http
                .post(url)
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .header("content-type", content_type)
                .body(body)
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16());
            (status, start.elapsed())
        }
    }));
    let (flood, previews, uploads) = tokio::join!(flood, previews, uploads);
    let last_answer = Instant::now();
    report(
        TEST,
        format!("200 sign-ins from 200 addresses: {}", tally(&flood)),
    );
    report(
        TEST,
        format!(
            "nested-Markdown previews: {}",
            previews
                .iter()
                .map(|(s, t)| format!("{s} in {:.1} s", t.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    report(
        TEST,
        format!(
            "two 49 MP uploads at once: {}",
            uploads
                .iter()
                .map(|(s, t)| format!("{s} in {:.1} s", t.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    assert!(
        flood.iter().all(|s| matches!(s, 401 | 429 | 503)),
        "the flood got {}",
        tally(&flood)
    );
    for (status, took) in &previews {
        assert!(
            matches!(status, 200 | 413 | 422) && *took < Duration::from_secs(10),
            "a nested preview answered {status} after {took:?}"
        );
    }
    for (status, _) in &uploads {
        assert!(
            matches!(status, 201 | 422 | 503),
            "an upload answered {status}"
        );
    }

    // 3. the CPU goes back to idle: a whole second with under a tenth of a core busy
    let mut idle_after = None;
    while last_answer.elapsed() < Duration::from_secs(10) {
        let (before, at) = (cpu_ticks(pid), Instant::now());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let used = (cpu_ticks(pid) - before) as f64 / 100.0 / at.elapsed().as_secs_f64();
        // the reader itself costs a little
        if used < 0.1 {
            idle_after = Some(last_answer.elapsed());
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (times, failures) = reader.await.unwrap();
    watch.await.unwrap();
    let peak = peak_kib.load(Ordering::Relaxed) as f64 / 1024.0;
    report(
        TEST,
        format!(
            "cached page during {:.1} s of abuse: {} answers, {} failures; {}",
            abuse_start.elapsed().as_secs_f64(),
            times.len(),
            failures.len(),
            summary(&times)
        ),
    );
    report(
        TEST,
        format!(
            "memory: {idle_rss:.0} MiB idle, {peak:.0} MiB at the peak, {:.0} MiB after; CPU idle {} after the last answer",
            rss_mib(pid),
            idle_after.map_or("not within 10 s".to_owned(), |d| format!(
                "{:.1} s",
                d.as_secs_f64()
            ))
        ),
    );
    assert!(failures.is_empty(), "the reader saw {failures:?}");
    assert!(peak < 400.0, "the replica reached {peak:.0} MiB");
    assert!(
        idle_after.is_some_and(|d| d < Duration::from_secs(5)),
        "the CPU was still busy after the abuse ended"
    );
    let (took, status) = replica.terminate(Duration::from_secs(15)).await;
    report(
        TEST,
        format!(
            "SIGTERM after the abuse: exited {status} in {:.2} s",
            took.as_secs_f64()
        ),
    );
}
