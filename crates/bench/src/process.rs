//! Servers under test run as child processes; a guard kills them when dropped, so they go
//! away at the end of a run and on every error path.

use anyhow::{Context, Result, bail};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const LOG_TAIL_LINES: usize = 40;

/// A running server child process, killed on drop.
pub struct ServerProcess {
    name: String,
    child: Child,
    pub addr: SocketAddr,
    tail: Arc<Mutex<VecDeque<String>>>,
}

/// Pick a free port on 127.0.0.1 (the socket is closed again before the server binds it).
pub fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

impl ServerProcess {
    /// Start `cmd` (which must make the server listen on `addr`) and wait until
    /// `GET health_path` answers 200.
    pub fn start(
        name: &str,
        mut cmd: Command,
        addr: SocketAddr,
        health_path: &str,
    ) -> Result<Self> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Only the program path goes into the message: the environment holds credentials.
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {name} ({program})"))?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            drain(out, Arc::clone(&tail));
        }
        if let Some(err) = child.stderr.take() {
            drain(err, Arc::clone(&tail));
        }
        let mut server = Self {
            name: name.to_owned(),
            child,
            addr,
            tail,
        };
        server.wait_ready(health_path)?;
        Ok(server)
    }

    fn wait_ready(&mut self, health_path: &str) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited during start-up ({status}); last output:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if health_ok(self.addr, health_path) {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "{} not ready within {READY_TIMEOUT:?}; last output:\n{}",
            self.name,
            self.log_tail()
        )
    }

    /// The last lines the server wrote (stdout and stderr), for error messages.
    pub fn log_tail(&self) -> String {
        let tail = self
            .tail
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        tail.join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Already exited is fine; the wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keep reading a child's output so it never blocks on a full pipe; remember the last lines.
fn drain(stream: impl Read + Send + 'static, tail: Arc<Mutex<VecDeque<String>>>) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut tail) = tail.lock() {
                if tail.len() == LOG_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
    });
}

/// A blocking one-shot `GET path` over a fresh connection: true on a 200 status line.
fn health_ok(addr: SocketAddr, path: &str) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?;
        let mut status = [0u8; 12];
        stream.read_exact(&mut status)?;
        Ok(&status[..] == b"HTTP/1.1 200")
    };
    attempt().unwrap_or(false)
}
