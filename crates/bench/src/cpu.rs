//! A process's figures from `/proc`: CPU time from `/proc/PID/stat`, to report CPU cost per
//! request (unlike requests/s, it barely moves when other work shares the machine), and resident
//! memory from `/proc/PID/status`.

use std::time::Duration;

/// `/proc/PID/stat` counts in USER_HZ, which Linux fixes at 100 for user space.
const USER_HZ: u64 = 100;

/// User + system CPU time used so far by `pid` (all its threads), or None if unreadable.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Resident set size (`VmRSS`) of `pid` in KiB, or None if unreadable.
pub fn process_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_rss(&status)
}

fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_whitespace();
    let kib = parts.next()?.parse().ok()?;
    (parts.next()? == "kB").then_some(kib)
}

/// Fields 14 (utime) and 15 (stime); the command name in field 2 may contain spaces, so
/// count from its closing parenthesis.
fn parse_stat(stat: &str) -> Option<Duration> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_after_a_command_with_spaces() {
        let stat =
            "1234 (tokio rt) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 100 0 0";
        assert_eq!(parse_stat(stat), Some(Duration::from_millis(3000)));
    }

    #[test]
    fn reads_our_own_process() {
        assert!(process_cpu(std::process::id()).is_some());
        assert!(process_rss_kib(std::process::id()).is_some_and(|k| k > 0));
    }

    #[test]
    fn parses_vmrss() {
        let status = "Name:\tstrongbox\nVmHWM:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n";
        assert_eq!(parse_rss(status), Some(12345));
        assert_eq!(parse_rss("Name:\tx\n"), None);
    }
}
