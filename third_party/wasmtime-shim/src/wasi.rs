// WASI 0.2 for actors, every input through Theater: the clocks, the random bytes and what
// the guest writes to stdout/stderr go to C++ callbacks (src/engine/wasi.h), which record
// them in the actor's chain and, under replay, answer from the recording. stdin is empty,
// there are no preopened directories, and every socket use is refused (and reported).
// The rest of WASI (streams, polling, the resource tables) is wasmtime-wasi's.
use std::convert::Infallible;
use std::ffi::c_void;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use wasmtime_c_api::wasmtime::AsContextMut;
use wasmtime_c_api::{WasmtimeStoreContextMut, wasi_config_new, wasmtime_context_set_wasi, wasmtime_error_t};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiView};

use crate::fast::theater_slot_t;

/// The callbacks, and the pointer they are called with. C declaration: src/engine/shim.h.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct theater_wasi_hooks_t {
    pub data: *mut c_void,
    /// Bytes the guest wrote to stdout (`fd` 1) or stderr (2); 0, or non-zero to refuse
    /// them (the guest's write fails).
    pub write: extern "C" fn(data: *mut c_void, fd: i32, bytes: *const u8, len: usize) -> i32,
    /// wasi:clocks/wall-clock.now, in nanoseconds since the Unix epoch.
    pub wall_now: extern "C" fn(data: *mut c_void) -> u64,
    /// wasi:clocks/monotonic-clock.now, in nanoseconds.
    pub monotonic_now: extern "C" fn(data: *mut c_void) -> u64,
    /// Fills `out` with `len` random bytes (wasi:random).
    pub random: extern "C" fn(data: *mut c_void, out: *mut u8, len: usize),
    /// A socket use was refused: `what` describes it ("connect 10.0.0.1:80").
    pub socket_refused: extern "C" fn(data: *mut c_void, what: *const u8, len: usize),
}

// The C++ side keeps `data` alive for the store's life and makes the callbacks callable
// from whichever thread runs the store.
unsafe impl Send for theater_wasi_hooks_t {}
unsafe impl Sync for theater_wasi_hooks_t {}

#[derive(Clone, Copy)]
struct Hooks(theater_wasi_hooks_t);

impl Hooks {
    fn refused(&self, what: &str) {
        (self.0.socket_refused)(self.0.data, what.as_ptr(), what.len());
    }
}

impl HostWallClock for Hooks {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        Duration::from_nanos((self.0.wall_now)(self.0.data))
    }
}

impl HostMonotonicClock for Hooks {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        (self.0.monotonic_now)(self.0.data)
    }
}

/// Random bytes from the hook, fetched `REFILL` at a time: wasmtime-wasi draws them one
/// byte at a time (get-random-bytes iterates), and each fetch is one recorded event.
struct Random {
    hooks: Hooks,
    buf: [u8; REFILL],
    pos: usize,
}

const REFILL: usize = 256;

impl Random {
    fn new(hooks: Hooks) -> Self {
        Random { hooks, buf: [0; REFILL], pos: REFILL }
    }
}

impl rand_core::TryRng for Random {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, out: &mut [u8]) -> Result<(), Infallible> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == REFILL {
                (self.hooks.0.random)(self.hooks.0.data, self.buf.as_mut_ptr(), REFILL);
                self.pos = 0;
            }
            let n = (out.len() - done).min(REFILL - self.pos);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }
}

/// stdout or stderr: every write goes to the `write` callback at once.
#[derive(Clone, Copy)]
struct Output {
    hooks: Hooks,
    fd: i32,
}

impl Output {
    fn send(&self, bytes: &[u8]) -> bool {
        bytes.is_empty() || (self.hooks.0.write)(self.hooks.0.data, self.fd, bytes.as_ptr(), bytes.len()) == 0
    }
}

impl IsTerminal for Output {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Output {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(*self)
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(*self)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Output {
    async fn ready(&mut self) {}
}

impl OutputStream for Output {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        if self.send(&bytes) {
            Ok(())
        } else {
            Err(StreamError::LastOperationFailed(wasmtime_c_api::wasmtime::Error::msg(
                "the actor's output was refused (its log bytes for this turn are used up)",
            )))
        }
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for Output {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.send(buf) {
            Poll::Ready(Ok(buf.len()))
        } else {
            Poll::Ready(Err(std::io::Error::other("the actor's output was refused")))
        }
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Gives the store a WASI context built on `hooks`, with the environment variables in
/// `env` (`env_len` slots: name, value, name, value, ...). Call once per store, before
/// instantiating a component that imports WASI through a linker with
/// `wasmtime_component_linker_add_wasip2`.
///
/// # Safety
/// `hooks` is valid for the call and its `data` for the store's life; `env` points to
/// `env_len` slots of UTF-8 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn theater_context_set_wasi(
    mut context: WasmtimeStoreContextMut<'_>,
    hooks: &theater_wasi_hooks_t,
    env: *const theater_slot_t,
    env_len: usize,
) -> Option<Box<wasmtime_error_t>> {
    let hooks = Hooks(*hooks);
    let mut builder = WasiCtx::builder();
    builder
        .stdout(Output { hooks, fd: 1 })
        .stderr(Output { hooks, fd: 2 })
        .wall_clock(hooks)
        .monotonic_clock(hooks)
        .secure_random(Random::new(hooks))
        .insecure_random(Random::new(hooks))
        // Sockets: none. wasmtime-wasi refuses every use by default; the check says which.
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(move |addr, use_| {
            hooks.refused(&format!("{use_:?} {addr}"));
            Box::pin(async { false })
        });
    // The seed of wasi:random/insecure-seed: random too (so recorded like the rest).
    let mut seed = [0u8; 16];
    (hooks.0.random)(hooks.0.data, seed.as_mut_ptr(), seed.len());
    builder.insecure_random_seed(u128::from_le_bytes(seed));
    let pairs = if env.is_null() || env_len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(env, env_len) } };
    for pair in pairs.chunks_exact(2) {
        let text = |s: &theater_slot_t| -> String {
            let b = if s.len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(s.data, s.len) } };
            String::from_utf8_lossy(b).into_owned()
        };
        builder.env(text(&pair[0]), text(&pair[1]));
    }
    // The C API keeps the WASI context (with its resource table) in its own store data, set
    // only through its config type: set a default one, then put ours in its place.
    if let Some(error) = wasmtime_context_set_wasi(context.as_context_mut(), wasi_config_new()) {
        return Some(error);
    }
    *WasiView::ctx(context.data_mut()).ctx = builder.build();
    None
}
