//! Backend-only throughput check: PUT and GET of one large object through `FsBackend` (no HTTP),
//! against raw sequential write (+fsync) and read of the same size in the same directory, and
//! against MD5 speed. Run: `cargo run --release -p strongbox-storage --example fs_throughput -- [DIR] [MiB]`.

use std::io::{Read, Write};
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3, S3Request};
use strongbox_storage::FsBackend;

fn req<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: http::Method::GET,
        uri: http::Uri::from_static("/"),
        headers: http::HeaderMap::new(),
        extensions: Default::default(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

/// CPU seconds (user + system) this process has used, from /proc (Linux; 0 elsewhere).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn mibs(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / (1 << 20) as f64 / secs
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "target/fs-throughput".into());
    let mib: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let size = mib << 20;
    std::fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();

    let chunk = 1 << 20;
    let buf: Bytes = (0..chunk)
        .map(|i| (i * 7 % 251) as u8)
        .collect::<Vec<u8>>()
        .into();

    // Raw disk.
    let raw = dir.path().join("raw");
    let t = Instant::now();
    let c = cpu_secs();
    let mut f = std::fs::File::create(&raw).unwrap();
    for _ in 0..size / chunk {
        f.write_all(&buf).unwrap();
    }
    f.sync_all().unwrap();
    let raw_w = mibs(size, t.elapsed().as_secs_f64());
    let raw_cpu_per_gib = (cpu_secs() - c) * 1024.0 / mib as f64;
    let t = Instant::now();
    let mut f = std::fs::File::open(&raw).unwrap();
    let mut rb = vec![0u8; 4 << 20];
    while f.read(&mut rb).unwrap() > 0 {}
    let raw_r = mibs(size, t.elapsed().as_secs_f64());
    std::fs::remove_file(&raw).unwrap();

    // MD5 speed.
    let t = Instant::now();
    let c = cpu_secs();
    let mut h = Md5::new();
    for _ in 0..(256 << 20) / chunk {
        h.update(&buf);
    }
    let _ = h.finalize();
    let md5 = mibs(256 << 20, t.elapsed().as_secs_f64());
    let md5_cpu_per_gib = (cpu_secs() - c) * 4.0;

    let fs = FsBackend::open(dir.path()).await.unwrap();
    fs.create_bucket(req(CreateBucketInput {
        bucket: "bench".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let n = size / chunk;
    let chunks = futures::stream::iter((0..n).map(move |_| Ok::<_, std::io::Error>(buf.clone())));
    let t = Instant::now();
    let c = cpu_secs();
    fs.put_object(req(PutObjectInput {
        bucket: "bench".into(),
        key: "big".into(),
        body: Some(StreamingBlob::wrap(chunks)),
        content_length: Some(size as i64),
        ..Default::default()
    }))
    .await
    .unwrap();
    let put = mibs(size, t.elapsed().as_secs_f64());
    let put_cpu_per_gib = (cpu_secs() - c) * 1024.0 / mib as f64;

    let t = Instant::now();
    let mut out = fs
        .get_object(req(GetObjectInput {
            bucket: "bench".into(),
            key: "big".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .output;
    let mut body = out.body.take().unwrap();
    let mut got = 0;
    while let Some(c) = body.next().await {
        got += c.unwrap().len();
    }
    assert_eq!(got, size);
    let get = mibs(size, t.elapsed().as_secs_f64());

    let put_floor = raw_w.min(md5);
    println!("raw write {raw_w:.0} MiB/s, raw read {raw_r:.0} MiB/s, md5 {md5:.0} MiB/s");
    println!(
        "PUT {put:.0} MiB/s = {:.2} x min(raw write, md5)",
        put / put_floor
    );
    println!("GET {get:.0} MiB/s = {:.2} x raw read", get / raw_r);
    println!(
        "CPU per GiB: md5 alone {md5_cpu_per_gib:.2} s, raw write {raw_cpu_per_gib:.2} s, PUT {put_cpu_per_gib:.2} s (machine load makes wall-clock ratios noisy)"
    );
}
