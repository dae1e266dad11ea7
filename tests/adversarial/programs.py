"""The attack programs, per language. `@MARK@` makes each source (and so its artifact path) unique
to one test; `@NMARK@` is a number that spawned `sleep` processes carry in their argv (GNU sleep
sums its arguments), so that a leftover process is recognisable from the host's /proc.

Programs that take targets read them from stdin, one per line (paths, `host port`, pids), so the
same program serves every backend and host.
"""

from __future__ import annotations

LANGUAGES = ["python", "cpp", "rust", "go", "java", "javascript"]

# ------------------------------------------------------------------------------ reading secrets
READ = {
    "python": r"""
import glob, os, sys  # @MARK@
paths = [l.strip() for l in sys.stdin if l.strip()] + [f"/proc/{os.getppid()}/environ", "/proc/1/environ"]
for p in paths:
    try:
        print("READ", p, open(p, "rb").read()[:200])
    except OSError as e:
        print("DENIED", p, e.errno)
print("ENV", dict(os.environ))
for p in glob.glob("/proc/[0-9]*/environ"):
    try:
        print("PROCENV", p, open(p, "rb").read()[:400])
    except OSError:
        pass
""",
    "cpp": r"""
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>
extern char **environ;
int main() {  // @MARK@
    std::vector<std::string> paths;
    std::string line;
    while (std::getline(std::cin, line)) if (!line.empty()) paths.push_back(line);
    paths.push_back("/proc/" + std::to_string(getppid()) + "/environ");
    paths.push_back("/proc/1/environ");
    for (auto &p : paths) {
        std::ifstream f(p, std::ios::binary);
        std::stringstream ss;
        if (f) ss << f.rdbuf();
        if (!f || ss.str().empty()) { std::cout << "DENIED " << p << "\n"; continue; }
        std::cout << "READ " << p << " " << ss.str().substr(0, 200) << "\n";
    }
    for (char **e = environ; *e; e++) std::cout << "ENV " << *e << "\n";
}
""",
    "rust": r"""
use std::io::BufRead;
extern "C" { fn getppid() -> i32; }
fn main() { // @MARK@
    let mut paths: Vec<String> = std::io::stdin().lock().lines().filter_map(|l| l.ok())
        .map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
    paths.push(format!("/proc/{}/environ", unsafe { getppid() }));
    paths.push("/proc/1/environ".to_string());
    for p in &paths {
        match std::fs::read(p) {
            Ok(b) => println!("READ {} {}", p, String::from_utf8_lossy(&b[..b.len().min(200)])),
            Err(e) => println!("DENIED {} {}", p, e),
        }
    }
    for (k, v) in std::env::vars() { println!("ENV {}={}", k, v); }
}
""",
    "go": r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() { // @MARK@
	var paths []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			paths = append(paths, t)
		}
	}
	paths = append(paths, fmt.Sprintf("/proc/%d/environ", os.Getppid()), "/proc/1/environ")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Println("DENIED", p, err)
			continue
		}
		if len(b) > 200 {
			b = b[:200]
		}
		fmt.Println("READ", p, string(b))
	}
	for _, e := range os.Environ() {
		fmt.Println("ENV", e)
	}
}
""",
    "java": r"""
import java.io.*;
import java.nio.file.*;
import java.util.*;

public class Main { // @MARK@
    public static void main(String[] args) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        List<String> paths = new ArrayList<>();
        String l;
        while ((l = r.readLine()) != null) if (!l.trim().isEmpty()) paths.add(l.trim());
        ProcessHandle.current().parent().ifPresent(p -> paths.add("/proc/" + p.pid() + "/environ"));
        paths.add("/proc/1/environ");
        for (String p : paths) {
            try {
                byte[] b = Files.readAllBytes(Paths.get(p));
                System.out.println("READ " + p + " " + new String(b, 0, Math.min(200, b.length)));
            } catch (Exception e) {
                System.out.println("DENIED " + p + " " + e);
            }
        }
        System.getenv().forEach((k, v) -> System.out.println("ENV " + k + "=" + v));
    }
}
""",
    "javascript": r"""
// @MARK@
const fs = require('fs');
const paths = fs.readFileSync(0, 'utf8').split('\n').map(s => s.trim()).filter(Boolean);
paths.push(`/proc/${process.ppid}/environ`, '/proc/1/environ');
for (const p of paths) {
  try { console.log('READ', p, fs.readFileSync(p).toString().slice(0, 200)); }
  catch (e) { console.log('DENIED', p, e.code); }
}
for (const [k, v] of Object.entries(process.env)) console.log('ENV', `${k}=${v}`);
""",
}

# ------------------------------------------------------------------------------ writing outside
WRITE = {
    "python": r"""
import sys  # @MARK@
for p in [l.strip() for l in sys.stdin if l.strip()]:
    try:
        with open(p, "wb") as f:
            f.write(b"pwned\n")
        print("WROTE", p)
    except OSError as e:
        print("DENIED", p, e.errno)
""",
    "cpp": r"""
#include <cstdio>
#include <iostream>
#include <string>
int main() {  // @MARK@
    std::string p;
    while (std::getline(std::cin, p)) {
        if (p.empty()) continue;
        FILE *f = std::fopen(p.c_str(), "wb");
        if (f && std::fputs("pwned\n", f) >= 0 && std::fclose(f) == 0) std::cout << "WROTE " << p << "\n";
        else std::cout << "DENIED " << p << "\n";
    }
}
""",
    "rust": r"""
use std::io::BufRead;
fn main() { // @MARK@
    for l in std::io::stdin().lock().lines().filter_map(|l| l.ok()) {
        let p = l.trim();
        if p.is_empty() { continue; }
        match std::fs::write(p, b"pwned\n") {
            Ok(_) => println!("WROTE {}", p),
            Err(e) => println!("DENIED {} {}", p, e),
        }
    }
}
""",
    "go": r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() { // @MARK@
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" {
			continue
		}
		if err := os.WriteFile(p, []byte("pwned\n"), 0o666); err != nil {
			fmt.Println("DENIED", p, err)
		} else {
			fmt.Println("WROTE", p)
		}
	}
}
""",
    "java": r"""
import java.io.*;
import java.nio.file.*;

public class Main { // @MARK@
    public static void main(String[] args) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        String p;
        while ((p = r.readLine()) != null) {
            p = p.trim();
            if (p.isEmpty()) continue;
            try {
                Files.write(Paths.get(p), "pwned\n".getBytes());
                System.out.println("WROTE " + p);
            } catch (Exception e) {
                System.out.println("DENIED " + p + " " + e);
            }
        }
    }
}
""",
    "javascript": r"""
// @MARK@
const fs = require('fs');
for (const p of fs.readFileSync(0, 'utf8').split('\n').map(s => s.trim()).filter(Boolean)) {
  try { fs.writeFileSync(p, 'pwned\n'); console.log('WROTE', p); }
  catch (e) { console.log('DENIED', p, e.code); }
}
""",
}

# ------------------------------------------------------------------------------ network
CONNECT = {
    "python": r"""
import socket, sys  # @MARK@
for line in [l.split() for l in sys.stdin if l.strip()]:
    try:
        socket.create_connection((line[0], int(line[1])), timeout=1).close()
        print("CONNECTED", *line)
    except OSError as e:
        print("BLOCKED", *line, e)
""",
    "cpp": r"""
#include <arpa/inet.h>
#include <iostream>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
int main() {  // @MARK@
    std::string host;
    int port;
    while (std::cin >> host >> port) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{1, 0};
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        inet_pton(AF_INET, host.c_str(), &a.sin_addr);
        if (s >= 0 && connect(s, (sockaddr *)&a, sizeof a) == 0) std::cout << "CONNECTED " << host << " " << port << "\n";
        else std::cout << "BLOCKED " << host << " " << port << "\n";
        close(s);
    }
}
""",
    "rust": r"""
use std::io::BufRead;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
fn main() { // @MARK@
    for l in std::io::stdin().lock().lines().filter_map(|l| l.ok()) {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 2 { continue; }
        let addr: SocketAddr = format!("{}:{}", f[0], f[1]).parse().unwrap();
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Ok(_) => println!("CONNECTED {} {}", f[0], f[1]),
            Err(e) => println!("BLOCKED {} {} {}", f[0], f[1], e),
        }
    }
}
""",
    "go": r"""
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() { // @MARK@
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(f[0], f[1]), time.Second)
		if err != nil {
			fmt.Println("BLOCKED", f[0], f[1], err)
			continue
		}
		c.Close()
		fmt.Println("CONNECTED", f[0], f[1])
	}
}
""",
    "java": r"""
import java.io.*;
import java.net.*;

public class Main { // @MARK@
    public static void main(String[] args) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        String l;
        while ((l = r.readLine()) != null) {
            String[] f = l.trim().split("\\s+");
            if (f.length < 2) continue;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(f[0], Integer.parseInt(f[1])), 1000);
                System.out.println("CONNECTED " + f[0] + " " + f[1]);
            } catch (Exception e) {
                System.out.println("BLOCKED " + f[0] + " " + f[1] + " " + e);
            }
        }
    }
}
""",
    "javascript": r"""
// @MARK@
const fs = require('fs');
const net = require('net');
const targets = fs.readFileSync(0, 'utf8').split('\n').map(s => s.trim().split(/\s+/)).filter(f => f.length === 2);
(async () => {
  for (const [host, port] of targets) {
    await new Promise(done => {
      const s = net.connect({ host, port: Number(port) });
      const end = (word) => { console.log(word, host, port); s.destroy(); done(); };
      s.setTimeout(1000, () => end('BLOCKED'));
      s.on('connect', () => end('CONNECTED'));
      s.on('error', () => end('BLOCKED'));
    });
  }
})();
""",
}

# ------------------------------------------------------------------------------ signalling others
# Every program refuses to go on if it runs as root: then the jail is not in place and kill(-1)
# would hit the host. Otherwise it kills each pid on stdin, its parent, and everything it can.
KILL = {
    "python": r"""
import os, signal, sys  # @MARK@
if os.getuid() == 0:
    print("ROOT"); sys.exit(0)
for pid in [int(l) for l in sys.stdin if l.strip()] + [os.getppid()]:
    try:
        os.kill(pid, signal.SIGKILL); print("KILLED", pid)
    except OSError as e:
        print("DENIED", pid, e.errno)
try:
    os.kill(-1, signal.SIGKILL); print("KILLALL sent")
except OSError as e:
    print("KILLALL denied", e.errno)
print("SURVIVED")
""",
    "cpp": r"""
#include <csignal>
#include <iostream>
#include <unistd.h>
int main() {  // @MARK@
    if (getuid() == 0) { std::cout << "ROOT\n"; return 0; }
    long pid;
    while (std::cin >> pid) std::cout << (kill(pid, SIGKILL) == 0 ? "KILLED " : "DENIED ") << pid << "\n";
    std::cout << (kill(getppid(), SIGKILL) == 0 ? "KILLED " : "DENIED ") << getppid() << "\n";
    kill(-1, SIGKILL);
    std::cout << "SURVIVED\n";
}
""",
    "rust": r"""
use std::io::BufRead;
extern "C" { fn kill(pid: i32, sig: i32) -> i32; fn getppid() -> i32; fn getuid() -> u32; }
fn main() { // @MARK@
    if unsafe { getuid() } == 0 { println!("ROOT"); return; }
    let mut pids: Vec<i32> = std::io::stdin().lock().lines().filter_map(|l| l.ok()?.trim().parse().ok()).collect();
    pids.push(unsafe { getppid() });
    for p in pids {
        let r = unsafe { kill(p, 9) };
        println!("{} {}", if r == 0 { "KILLED" } else { "DENIED" }, p);
    }
    unsafe { kill(-1, 9); }
    println!("SURVIVED");
}
""",
    "go": r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

func main() { // @MARK@
	if os.Getuid() == 0 {
		fmt.Println("ROOT")
		return
	}
	var pids []int
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if p, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
			pids = append(pids, p)
		}
	}
	pids = append(pids, os.Getppid())
	for _, p := range pids {
		if err := syscall.Kill(p, syscall.SIGKILL); err == nil {
			fmt.Println("KILLED", p)
		} else {
			fmt.Println("DENIED", p, err)
		}
	}
	syscall.Kill(-1, syscall.SIGKILL)
	fmt.Println("SURVIVED")
}
""",
    "java": r"""
import java.io.*;

public class Main { // @MARK@
    public static void main(String[] args) throws Exception {
        if ("root".equals(System.getProperty("user.name"))) { System.out.println("ROOT"); return; }
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        String l;
        java.util.List<Long> pids = new java.util.ArrayList<>();
        while ((l = r.readLine()) != null) if (!l.trim().isEmpty()) pids.add(Long.parseLong(l.trim()));
        ProcessHandle.current().parent().ifPresent(p -> pids.add(p.pid()));
        for (long p : pids) {
            boolean killed = ProcessHandle.of(p).map(ProcessHandle::destroyForcibly).orElse(false);
            System.out.println((killed ? "KILLED " : "DENIED ") + p);
        }
        System.out.println("SURVIVED");
    }
}
""",
    "javascript": r"""
// @MARK@
const fs = require('fs');
if (process.getuid() === 0) { console.log('ROOT'); process.exit(0); }
const pids = fs.readFileSync(0, 'utf8').split('\n').map(s => s.trim()).filter(Boolean).map(Number);
pids.push(process.ppid);
for (const p of pids) {
  try { process.kill(p, 'SIGKILL'); console.log('KILLED', p); } catch (e) { console.log('DENIED', p, e.code); }
}
try { process.kill(-1, 'SIGKILL'); } catch (e) {}
console.log('SURVIVED');
""",
}

# ------------------------------------------------------------------------------ daemons
DAEMON = {
    "python": r"""
import os  # @MARK@
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "600", "@NMARK@"])
    os._exit(0)
os.wait()
print("spawned")
""",
    "cpp": r"""
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>
int main() {  // @MARK@
    if (fork() == 0) {
        setsid();
        if (fork() == 0) execl("/bin/sleep", "sleep", "600", "@NMARK@", (char *)nullptr);
        _exit(0);
    }
    wait(nullptr);
    std::puts("spawned");
}
""",
    "rust": r"""
use std::os::unix::process::CommandExt;
extern "C" { fn setsid() -> i32; }
fn main() { // @MARK@
    let mut c = std::process::Command::new("/bin/sleep");
    c.args(["600", "@NMARK@"]);
    unsafe { c.pre_exec(|| { setsid(); Ok(()) }); }
    let _child = c.spawn().unwrap();
    println!("spawned");
}
""",
    "go": r"""
package main

import (
	"fmt"
	"os/exec"
	"syscall"
)

func main() { // @MARK@
	c := exec.Command("/bin/sleep", "600", "@NMARK@")
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Start(); err != nil {
		panic(err)
	}
	fmt.Println("spawned")
}
""",
    "java": r"""
public class Main { // @MARK@
    public static void main(String[] args) throws Exception {
        new ProcessBuilder("/bin/sleep", "600", "@NMARK@").start();
        System.out.println("spawned");
        System.exit(0);
    }
}
""",
    "javascript": r"""
// @MARK@
const { spawn } = require('child_process');
spawn('/bin/sleep', ['600', '@NMARK@'], { detached: true, stdio: 'ignore' }).unref();
console.log('spawned');
""",
}

# ------------------------------------------------------------------------------ exhaustion
FORK_BOMB = {
    "python": """
import os  # @MARK@
while True:
    try:
        os.fork()
    except OSError:
        pass
""",
    "cpp": """
#include <unistd.h>
int main() {  // @MARK@
    for (;;) fork();
}
""",
    "rust": """
extern "C" { fn fork() -> i32; }
fn main() { // @MARK@
    loop { unsafe { fork(); } }
}
""",
    "go": """
package main

import (
	"os"
	"os/exec"
)

func main() { // @MARK@
	for {
		exec.Command(os.Args[0]).Start()
	}
}
""",
    "javascript": """
// @MARK@
const { spawn } = require('child_process');
for (;;) { try { spawn(process.execPath, [process.argv[1]], { stdio: 'ignore' }); } catch (e) {} }
""",
}

# Creates threads (that block) until the system refuses, then reports how many it got.
THREAD_BOMB = {
    "python": """
import os, threading, time  # @MARK@
n = 0
try:
    while n < 100000:
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
        n += 1
except RuntimeError:
    pass
print("THREADS", n, flush=True)
os._exit(0)
""",
    "cpp": """
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <thread>
int main() {  // @MARK@
    int n = 0;
    try {
        for (; n < 100000; n++) std::thread([] { std::this_thread::sleep_for(std::chrono::seconds(600)); }).detach();
    } catch (const std::system_error &) {
    }
    std::printf("THREADS %d\\n", n);
    std::fflush(stdout);
    std::_Exit(0);
}
""",
    "rust": """
fn main() { // @MARK@
    let mut n = 0;
    while n < 100000 {
        let b = std::thread::Builder::new().stack_size(64 * 1024);
        if b.spawn(|| std::thread::sleep(std::time::Duration::from_secs(600))).is_err() { break; }
        n += 1;
    }
    println!("THREADS {}", n);
    std::process::exit(0);
}
""",
    "java": """
public class Main { // @MARK@
    public static void main(String[] args) {
        int n = 0;
        try {
            for (; n < 100000; n++) {
                Thread t = new Thread(() -> { try { Thread.sleep(600000); } catch (InterruptedException e) {} });
                t.setDaemon(true);
                t.start();
            }
        } catch (Throwable e) {
        }
        System.out.println("THREADS " + n);
        System.exit(0);
    }
}
""",
}

MEMORY_BOMB = {
    "python": """
chunks = []  # @MARK@
while len(chunks) < 128:
    chunks.append(b"x" * (32 << 20))
print("survived", len(chunks))
""",
    "cpp": """
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
int main() {  // @MARK@
    std::vector<char *> chunks;
    while (chunks.size() < 128) {
        char *p = (char *)std::malloc(32 << 20);
        if (!p) break;
        std::memset(p, 1, 32 << 20);
        chunks.push_back(p);
    }
    std::printf("survived %zu\\n", chunks.size());
}
""",
    "rust": """
fn main() { // @MARK@
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    while chunks.len() < 128 { chunks.push(vec![1u8; 32 << 20]); }
    println!("survived {}", chunks.len());
}
""",
    "go": """
package main

import "fmt"

func main() { // @MARK@
	var chunks [][]byte
	for len(chunks) < 128 {
		b := make([]byte, 32<<20)
		for i := range b {
			b[i] = 1
		}
		chunks = append(chunks, b)
	}
	fmt.Println("survived", len(chunks))
}
""",
    "java": """
import java.util.*;

public class Main { // @MARK@
    public static void main(String[] args) {
        List<byte[]> chunks = new ArrayList<>();
        while (chunks.size() < 128) { byte[] b = new byte[32 << 20]; Arrays.fill(b, (byte) 1); chunks.add(b); }
        System.out.println("survived " + chunks.size());
    }
}
""",
    "javascript": """
// @MARK@
const chunks = [];
while (chunks.length < 128) chunks.push(Buffer.alloc(32 << 20, 1));
console.log('survived', chunks.length);
""",
}

SPIN_IGNORING_SIGTERM = {
    "python": """
import signal  # @MARK@
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
""",
    "cpp": """
#include <csignal>
int main() {  // @MARK@
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
    volatile unsigned long x = 0;
    for (;;) x++;
}
""",
    "rust": """
extern "C" { fn signal(sig: i32, handler: usize) -> usize; }
fn main() { // @MARK@
    unsafe { signal(15, 1); signal(2, 1); }
    let mut x: u64 = 0;
    loop { x = std::hint::black_box(x.wrapping_add(1)); }
}
""",
    "go": """
package main

import (
	"os/signal"
	"syscall"
)

func main() { // @MARK@
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
	x := 0
	for {
		x++
	}
}
""",
    "java": """
public class Main { // @MARK@
    public static void main(String[] args) {
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> {});
        long x = 0;
        while (true) x++;
    }
}
""",
    "javascript": """
// @MARK@
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
for (;;) {}
""",
}

SLEEP_FOREVER = {
    "python": "import time  # @MARK@\ntime.sleep(10**6)\n",
    "cpp": "#include <unistd.h>\nint main() {  // @MARK@\n    for (;;) pause();\n}\n",
    "rust": "fn main() { // @MARK@\n    loop { std::thread::sleep(std::time::Duration::from_secs(1000)); }\n}\n",
    "go": 'package main\n\nimport "time"\n\nfunc main() { // @MARK@\n\ttime.Sleep(time.Hour)\n}\n',
    "java": "public class Main { // @MARK@\n    public static void main(String[] a) throws Exception { Thread.sleep(1000000000L); }\n}\n",
    "javascript": "// @MARK@\nsetInterval(() => {}, 1 << 30);\n",
}


def flood(stream: str) -> dict[str, str]:
    """Endless writes of 64 KiB blocks to `stream` ("stdout" or "stderr")."""
    fd = 1 if stream == "stdout" else 2
    return {
        "python": f"import os  # @MARK@\nblock = b'x' * 65536\nwhile True:\n    os.write({fd}, block)\n",
        "cpp": (
            f"#include <cstring>\n#include <unistd.h>\nint main() {{  // @MARK@\n    static char b[65536];\n"
            f"    std::memset(b, 'x', sizeof b);\n    for (;;) write({fd}, b, sizeof b);\n}}\n"
        ),
        "rust": (
            f"use std::io::Write;\nfn main() {{ // @MARK@\n    let b = vec![b'x'; 65536];\n"
            f"    let mut o = std::io::{stream}();\n    loop {{ let _ = o.write_all(&b); }}\n}}\n"
        ),
        "go": (
            f'package main\n\nimport (\n\t"bytes"\n\t"os"\n)\n\nfunc main() {{ // @MARK@\n'
            f'\tb := bytes.Repeat([]byte("x"), 65536)\n\tfor {{\n\t\tos.{stream.capitalize()}.Write(b)\n\t}}\n}}\n'
        ),
        "java": (
            f"public class Main {{ // @MARK@\n    public static void main(String[] a) {{\n"
            f"        byte[] b = new byte[65536];\n        java.util.Arrays.fill(b, (byte) 'x');\n"
            f"        java.io.PrintStream s = System.{'out' if fd == 1 else 'err'};\n"
            f"        while (true) s.write(b, 0, b.length);\n    }}\n}}\n"
        ),
        "javascript": (
            f"// @MARK@\nconst fs = require('fs');\nconst b = Buffer.alloc(65536, 120);\n"
            f"for (;;) {{ try {{ fs.writeSync({fd}, b); }} catch (e) {{}} }}\n"
        ),
    }


# All 256 byte values, an invalid UTF-8 sequence and a NUL, on stdout and stderr; then exit 0.
BINARY_OUTPUT = {
    "python": """
import os  # @MARK@
data = bytes(range(256)) * 4 + b"\\xff\\xfe\\xc3\\x28\\x00end"
os.write(1, data)
os.write(2, data)
""",
    "cpp": """
#include <unistd.h>
int main() {  // @MARK@
    unsigned char b[1024 + 8];
    for (int i = 0; i < 1024; i++) b[i] = (unsigned char)i;
    const unsigned char tail[] = {0xff, 0xfe, 0xc3, 0x28, 0x00, 'e', 'n', 'd'};
    for (int i = 0; i < 8; i++) b[1024 + i] = tail[i];
    write(1, b, sizeof b);
    write(2, b, sizeof b);
}
""",
    "rust": """
use std::io::Write;
fn main() { // @MARK@
    let mut b: Vec<u8> = (0..1024).map(|i| (i % 256) as u8).collect();
    b.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0x00, b'e', b'n', b'd']);
    std::io::stdout().write_all(&b).unwrap();
    std::io::stderr().write_all(&b).unwrap();
}
""",
    "go": """
package main

import "os"

func main() { // @MARK@
	b := make([]byte, 0, 1032)
	for i := 0; i < 1024; i++ {
		b = append(b, byte(i))
	}
	b = append(b, 0xff, 0xfe, 0xc3, 0x28, 0x00, 'e', 'n', 'd')
	os.Stdout.Write(b)
	os.Stderr.Write(b)
}
""",
    "java": """
public class Main { // @MARK@
    public static void main(String[] a) throws Exception {
        byte[] b = new byte[1032];
        for (int i = 0; i < 1024; i++) b[i] = (byte) i;
        byte[] tail = {(byte) 0xff, (byte) 0xfe, (byte) 0xc3, 0x28, 0, 'e', 'n', 'd'};
        System.arraycopy(tail, 0, b, 1024, 8);
        System.out.write(b);
        System.out.flush();
        System.err.write(b);
        System.err.flush();
    }
}
""",
    "javascript": """
// @MARK@
const fs = require('fs');
const b = Buffer.alloc(1032);
for (let i = 0; i < 1024; i++) b[i] = i & 255;
Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x65, 0x6e, 0x64]).copy(b, 1024);
fs.writeSync(1, b);
fs.writeSync(2, b);
""",
}

# Prints one line, closes stdout, keeps computing for a while, exits 0.
CLOSE_STDOUT = {
    "python": """
import sys, time  # @MARK@
print("before close", flush=True)
sys.stdout.close()
end = time.time() + 0.2
while time.time() < end:
    pass
""",
    "cpp": """
#include <chrono>
#include <cstdio>
#include <unistd.h>
int main() {  // @MARK@
    std::puts("before close");
    std::fflush(stdout);
    close(1);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < end) {}
    std::puts("after close");
}
""",
    "rust": """
extern "C" { fn close(fd: i32) -> i32; }
fn main() { // @MARK@
    use std::io::Write;
    let mut o = std::io::stdout();
    o.write_all(b"before close\\n").unwrap();
    o.flush().unwrap();
    unsafe { close(1); }
    let end = std::time::Instant::now() + std::time::Duration::from_millis(200);
    while std::time::Instant::now() < end {}
}
""",
    "go": """
package main

import (
	"fmt"
	"os"
	"time"
)

func main() { // @MARK@
	fmt.Println("before close")
	os.Stdout.Close()
	end := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(end) {
	}
	fmt.Println("after close")
}
""",
    "java": """
public class Main { // @MARK@
    public static void main(String[] a) {
        System.out.println("before close");
        System.out.close();
        long end = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < end) {}
        System.out.println("after close");
    }
}
""",
    "javascript": """
// @MARK@
const fs = require('fs');
fs.writeSync(1, 'before close\\n');
fs.closeSync(1);
const end = Date.now() + 200;
while (Date.now() < end) {}
""",
}

# Writes 4 MiB files into its working directory, then /tmp, until refused or 512 MiB in all.
DISK_FILL = {
    "python": """
import os  # @MARK@
block = b"x" * (4 << 20)
total = 0
for d in (".", "/tmp"):
    for i in range(64):
        try:
            with open(os.path.join(d, f"fill{i}"), "wb") as f:
                f.write(block)
            total += len(block)
        except OSError:
            break
print("WRITTEN", total)
""",
    "cpp": """
#include <cstdio>
#include <string>
#include <vector>
int main() {  // @MARK@
    std::vector<char> block(4 << 20, 'x');
    long long total = 0;
    for (std::string d : {".", "/tmp"})
        for (int i = 0; i < 64; i++) {
            FILE *f = std::fopen((d + "/fill" + std::to_string(i)).c_str(), "wb");
            if (!f) break;
            size_t n = std::fwrite(block.data(), 1, block.size(), f);
            bool ok = std::fclose(f) == 0 && n == block.size();
            if (!ok) break;
            total += n;
        }
    std::printf("WRITTEN %lld\\n", total);
}
""",
    "rust": """
fn main() { // @MARK@
    let block = vec![b'x'; 4 << 20];
    let mut total = 0usize;
    for d in [".", "/tmp"] {
        for i in 0..64 {
            if std::fs::write(format!("{}/fill{}", d, i), &block).is_err() { break; }
            total += block.len();
        }
    }
    println!("WRITTEN {}", total);
}
""",
    "go": """
package main

import (
	"bytes"
	"fmt"
	"os"
)

func main() { // @MARK@
	block := bytes.Repeat([]byte("x"), 4<<20)
	total := 0
	for _, d := range []string{".", "/tmp"} {
		for i := 0; i < 64; i++ {
			if err := os.WriteFile(fmt.Sprintf("%s/fill%d", d, i), block, 0o644); err != nil {
				break
			}
			total += len(block)
		}
	}
	fmt.Println("WRITTEN", total)
}
""",
    "java": """
import java.nio.file.*;

public class Main { // @MARK@
    public static void main(String[] a) {
        byte[] block = new byte[4 << 20];
        long total = 0;
        for (String d : new String[] {".", "/tmp"}) {
            for (int i = 0; i < 64; i++) {
                try { Files.write(Paths.get(d, "fill" + i), block); total += block.length; }
                catch (Exception e) { break; }
            }
        }
        System.out.println("WRITTEN " + total);
    }
}
""",
    "javascript": """
// @MARK@
const fs = require('fs');
const block = Buffer.alloc(4 << 20, 120);
let total = 0;
for (const d of ['.', '/tmp']) {
  for (let i = 0; i < 64; i++) {
    try { fs.writeFileSync(`${d}/fill${i}`, block); total += block.length; } catch (e) { break; }
  }
}
console.log('WRITTEN', total);
""",
}

# Tries to look cheap: renames itself, lowers its priority, and tries to overwrite what the
# supervisor writes (the sample log and the timing file, next to its working directory); then
# holds 64 MiB for ~300 ms of CPU. The report must still show that memory and time.
TAMPER = {
    "python": """
import ctypes, os, time  # @MARK@
ctypes.CDLL(None).prctl(15, b"@COMM@", 0, 0, 0)
os.nice(19)
for p in ("../io/samples.bin", "../io/timings.tsv", "../io/stdout"):
    try:
        with open(p, "wb") as f:
            f.write(b"\\0" * 64)
        print("TAMPERED", p)
    except OSError as e:
        print("DENIED", p, e.errno)
hold = bytearray(b"x" * (64 << 20))
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
print("done", len(hold))
""",
    "cpp": """
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <sys/prctl.h>
#include <unistd.h>
int main() {  // @MARK@
    prctl(PR_SET_NAME, "@COMM@", 0, 0, 0);
    if (nice(19) < 0) {}
    for (const char *p : {"../io/samples.bin", "../io/timings.tsv", "../io/stdout"}) {
        FILE *f = std::fopen(p, "wb");
        if (f) { std::fputs("forged", f); std::fclose(f); std::printf("TAMPERED %s\\n", p); }
        else std::printf("DENIED %s\\n", p);
    }
    static char hold[64 << 20];
    std::memset(hold, 'x', sizeof hold);
    while (std::clock() < CLOCKS_PER_SEC * 3 / 10) {}
    std::printf("done %d\\n", hold[12345]);
}
""",
    "rust": """
extern "C" { fn prctl(op: i32, a: *const u8, b: usize, c: usize, d: usize) -> i32; fn nice(inc: i32) -> i32; }
fn main() { // @MARK@
    unsafe { prctl(15, b"@COMM@\\0".as_ptr(), 0, 0, 0); nice(19); }
    for p in ["../io/samples.bin", "../io/timings.tsv", "../io/stdout"] {
        match std::fs::write(p, b"forged") { Ok(_) => println!("TAMPERED {}", p), Err(_) => println!("DENIED {}", p) }
    }
    let hold = std::hint::black_box(vec![b'x'; 64 << 20]);
    let start = std::time::Instant::now();
    let mut x = 0u64;
    while start.elapsed().as_millis() < 300 { x = std::hint::black_box(x + 1); }
    println!("done {}", hold[12345] as u64 + (x & 0));
}
""",
    "go": """
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

func main() { // @MARK@
	name := []byte("@COMM@\\x00")
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0)
	syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19)
	for _, p := range []string{"../io/samples.bin", "../io/timings.tsv", "../io/stdout"} {
		if err := os.WriteFile(p, []byte("forged"), 0o644); err != nil {
			fmt.Println("DENIED", p)
		} else {
			fmt.Println("TAMPERED", p)
		}
	}
	hold := make([]byte, 64<<20)
	for i := range hold {
		hold[i] = 'x'
	}
	start := time.Now()
	x := 0
	for time.Since(start) < 300*time.Millisecond {
		x++
	}
	fmt.Println("done", hold[12345], x > 0)
}
""",
    "javascript": """
// @MARK@
const fs = require('fs');
const os = require('os');
process.title = '@COMM@';
os.setPriority(19);
for (const p of ['../io/samples.bin', '../io/timings.tsv', '../io/stdout']) {
  try { fs.writeFileSync(p, 'forged'); console.log('TAMPERED', p); } catch (e) { console.log('DENIED', p); }
}
const hold = Buffer.alloc(64 << 20, 120);
const end = Date.now() + 300;
while (Date.now() < end) {}
console.log('done', hold[12345]);
""",
}

# ------------------------------------------------------------------------------ compile-time bombs
COMPILE_BOMB = {
    # exponential template instantiation: every level doubles the number of *distinct*
    # instantiations (a doubling type alone is shared structure to clang, not a bomb)
    "cpp": """
template <int N, long long M> struct Blow {
    static constexpr long long value = Blow<N - 1, 2 * M>::value + Blow<N - 1, 2 * M + 1>::value;
};
template <long long M> struct Blow<0, M> { static constexpr long long value = M; };
int main() {  // @MARK@
    return static_cast<int>(Blow<40, 0>::value & 1);
}
""",
    # const evaluation that would never end, and a constant too large for memory
    "rust": """
const fn spin() -> u64 {
    let mut i: u64 = 0;
    let mut x: u64 = 0;
    while i < u64::MAX { x = x.wrapping_add(i ^ 0x9e3779b9); i += 1; }
    x
}
const X: u64 = spin();
fn main() { // @MARK@
    println!("{}", X);
}
""",
    "go": """
package main

import "fmt"

const huge = 1 << 100000000

func main() { // @MARK@
	fmt.Println(huge > 0)
}
""",
    # the parser, not the program: nesting deep enough to exhaust it
    "python": "# @MARK@\nx = " + "(" * 200_000 + "1" + ")" * 200_000 + "\n",
    "javascript": "// @MARK@\nconst x = " + "[" * 200_000 + "]" * 200_000 + ";\n",
    "java": (
        "public class Main { // @MARK@\n    static int x = "
        + "(" * 100_000
        + "1"
        + ")" * 100_000
        + ";\n    public static void main(String[] a) { System.out.println(x); }\n}\n"
    ),
}
