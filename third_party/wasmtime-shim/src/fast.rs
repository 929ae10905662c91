#![allow(non_camel_case_types)]
// Typed calls for the contract's byte-carrying signatures.
//
// wasmtime's C API hands component values over as a tree of `wasmtime_component_val_t`,
// and `list<u8>` as one 32-byte value per byte, converted again into wasmtime's `Val` on
// the way in and out. For the signatures listed in `shapes!` below (every export and host
// function of the contract that carries state, payloads or file contents), this module
// calls the export, or implements the host function, through wasmtime's typed Rust API
// instead: `list<u8>` is copied into and out of guest memory in bulk.
//
// Between C++ and this module, values travel as a flat array of *slots*, in the order of
// a depth-first walk of the type (the same walk on both sides; C++: src/engine/slots.cc):
// - a scalar (bool, integers) is one slot (`scalar`);
// - a string or `list<u8>` is one slot (`data`, `len`);
// - `option<T>` of such a leaf is one slot with `present` = 0 for none;
// - `tuple<A, B, ...>` is the slots of A, then of B, ...;
// - `result<T, string>` is a flag slot (`scalar` 1 = ok), the slots of T (left empty on
//   err), and one string slot for the error (empty on ok); `result<_, string>` has no T.
// Whoever hands slots over owns the memory they point to until the receiver is done.
use std::ffi::c_void;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasmtime_c_api::wasmtime::component::{ComponentNamedList, Func, LinkerInstance, Lift, Lower};
use wasmtime_c_api::wasmtime::{Error, Result, StoreContextMut};
use wasmtime_c_api::{
    WasmtimeStoreContextMut, WasmtimeStoreData, wasmtime_async_continuation_t,
    wasmtime_component_linker_instance_t, wasmtime_error_t,
};

#[repr(C)]
#[derive(Clone, Copy)]
pub struct theater_slot_t {
    pub present: u64,
    pub scalar: u64,
    pub data: *const u8,
    pub len: usize,
}

impl Default for theater_slot_t {
    fn default() -> Self {
        theater_slot_t { present: 1, scalar: 0, data: std::ptr::null(), len: 0 }
    }
}

// Slots point into memory whose owner outlives every use (see above).
unsafe impl Send for theater_slot_t {}
unsafe impl Sync for theater_slot_t {}

type Slot = theater_slot_t;

fn bytes_slot(b: &[u8]) -> Slot {
    Slot { present: 1, scalar: 0, data: b.as_ptr(), len: b.len() }
}

fn next<'s>(slots: &'s [Slot], i: &mut usize) -> Result<&'s Slot> {
    let s = slots.get(*i).ok_or_else(|| Error::msg("fewer slots than the type needs"))?;
    *i += 1;
    Ok(s)
}

/// # Safety: the slot's data must be valid for `'a`.
unsafe fn slot_bytes<'a>(s: &Slot) -> &'a [u8] {
    if s.len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(s.data, s.len) } }
}

/// How many slots a type takes.
pub trait Width {
    const COUNT: usize;
}

/// A value written to slots (what this side hands over).
pub trait Put: Width {
    fn put(&self, out: &mut Vec<Slot>);
}

/// A value read from slots. Borrowed forms (`&[u8]`, `&str`) point into the slots'
/// memory, which the caller keeps alive for `'a`.
pub trait Take<'a>: Width + Sized {
    /// # Safety: slot data valid for `'a`.
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self>;
}

/// Leaf types: one slot each, so `option<leaf>` is one slot too.
pub trait Leaf {}

macro_rules! leaf {
    ($($t:ty),*) => {$(
        impl Width for $t { const COUNT: usize = 1; }
        impl Leaf for $t {}
    )*};
}
leaf!(bool, u16, u32, u64, i32, Vec<u8>, String);
impl<'a> Width for &'a [u8] { const COUNT: usize = 1; }
impl<'a> Leaf for &'a [u8] {}
impl<'a> Width for &'a str { const COUNT: usize = 1; }
impl<'a> Leaf for &'a str {}

macro_rules! scalars {
    ($($t:ty),*) => {$(
        impl Put for $t {
            fn put(&self, out: &mut Vec<Slot>) {
                out.push(Slot { scalar: *self as u64, ..Slot::default() });
            }
        }
        impl<'a> Take<'a> for $t {
            unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
                Ok(next(slots, i)?.scalar as $t)
            }
        }
    )*};
}
scalars!(u16, u32, u64, i32);

impl Put for bool {
    fn put(&self, out: &mut Vec<Slot>) {
        out.push(Slot { scalar: *self as u64, ..Slot::default() });
    }
}
impl<'a> Take<'a> for bool {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        Ok(next(slots, i)?.scalar != 0)
    }
}

impl Put for Vec<u8> {
    fn put(&self, out: &mut Vec<Slot>) {
        out.push(bytes_slot(self));
    }
}
impl<'a> Take<'a> for Vec<u8> {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        Ok(unsafe { slot_bytes(next(slots, i)?) }.to_vec())
    }
}

impl<'a> Put for &'a [u8] {
    fn put(&self, out: &mut Vec<Slot>) {
        out.push(bytes_slot(self));
    }
}
impl<'a> Take<'a> for &'a [u8] {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        Ok(unsafe { slot_bytes(next(slots, i)?) })
    }
}

fn utf8(b: &[u8]) -> Result<&str> {
    std::str::from_utf8(b).map_err(|_| Error::msg("string is not valid UTF-8"))
}

impl Put for String {
    fn put(&self, out: &mut Vec<Slot>) {
        out.push(bytes_slot(self.as_bytes()));
    }
}
impl<'a> Take<'a> for String {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        Ok(utf8(unsafe { slot_bytes(next(slots, i)?) })?.to_owned())
    }
}

impl<'a> Put for &'a str {
    fn put(&self, out: &mut Vec<Slot>) {
        out.push(bytes_slot(self.as_bytes()));
    }
}
impl<'a> Take<'a> for &'a str {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        utf8(unsafe { slot_bytes(next(slots, i)?) })
    }
}

impl<T: Leaf> Width for Option<T> {
    const COUNT: usize = 1;
}
impl<T: Leaf + Put> Put for Option<T> {
    fn put(&self, out: &mut Vec<Slot>) {
        match self {
            Some(v) => v.put(out),
            None => out.push(Slot { present: 0, ..Slot::default() }),
        }
    }
}
impl<'a, T: Leaf + Take<'a>> Take<'a> for Option<T> {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        if next(slots, i)?.present == 0 {
            return Ok(None);
        }
        *i -= 1;
        Ok(Some(unsafe { T::take(slots, i) }?))
    }
}

impl<T: Width> Width for Result<T, String> {
    const COUNT: usize = T::COUNT + 2;
}
impl<T: Put> Put for Result<T, String> {
    fn put(&self, out: &mut Vec<Slot>) {
        match self {
            Ok(v) => {
                out.push(Slot { scalar: 1, ..Slot::default() });
                v.put(out);
                out.push(Slot::default());
            }
            Err(e) => {
                out.push(Slot { scalar: 0, ..Slot::default() });
                out.extend(std::iter::repeat_n(Slot::default(), T::COUNT));
                e.put(out);
            }
        }
    }
}
impl<'a, T: Take<'a>> Take<'a> for Result<T, String> {
    unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
        if next(slots, i)?.scalar != 0 {
            let v = unsafe { T::take(slots, i) }?;
            next(slots, i)?;
            Ok(Ok(v))
        } else {
            *i += T::COUNT;
            Ok(Err(unsafe { String::take(slots, i) }?))
        }
    }
}

impl Width for () {
    const COUNT: usize = 0;
}
impl Put for () {
    fn put(&self, _: &mut Vec<Slot>) {}
}
impl<'a> Take<'a> for () {
    unsafe fn take(_: &[Slot], _: &mut usize) -> Result<Self> {
        Ok(())
    }
}

macro_rules! tuples {
    ($(($($n:ident),+))*) => {$(
        impl<$($n: Width),+> Width for ($($n,)+) {
            const COUNT: usize = 0 $(+ $n::COUNT)+;
        }
        #[allow(non_snake_case)]
        impl<$($n: Put),+> Put for ($($n,)+) {
            fn put(&self, out: &mut Vec<Slot>) {
                let ($($n,)+) = self;
                $($n.put(out);)+
            }
        }
        impl<'a, $($n: Take<'a>),+> Take<'a> for ($($n,)+) {
            unsafe fn take(slots: &[Slot], i: &mut usize) -> Result<Self> {
                Ok(($(unsafe { $n::take(slots, i) }?,)+))
            }
        }
    )*};
}
tuples! { (A) (A, B) (A, B, C) (A, B, C, D) }

// ---- Export calls ----------------------------------------------------------------

/// An export call in progress. Its output lives beside the future that fills it.
pub struct theater_fast_call_t<'a> {
    future: Option<Pin<Box<dyn Future<Output = ()> + 'a>>>,
    output: Box<CallOutput>,
}

struct CallOutput {
    slots: Vec<Slot>,
    keep: Option<Box<dyn std::any::Any>>, // what `slots` point into
    error: Option<Error>,
}

fn start_call<'a, P, R>(
    func: &'a Func,
    mut ctx: WasmtimeStoreContextMut<'a>,
    args: &'a [Slot],
) -> Result<Box<theater_fast_call_t<'a>>>
where
    P: ComponentNamedList + Lower + Take<'a> + Send + Sync + 'a,
    R: ComponentNamedList + Lift + Put + Send + Sync + 'static,
{
    let typed = func.typed::<P, R>(&ctx)?;
    let mut i = 0;
    let params = unsafe { P::take(args, &mut i) }?;
    let mut output = Box::new(CallOutput { slots: Vec::new(), keep: None, error: None });
    let out: *mut CallOutput = &mut *output;
    let future = Box::pin(async move {
        // The output box outlives the future (both are owned by the call; the future is
        // dropped first).
        let out = unsafe { &mut *out };
        match typed.call_async(&mut ctx, params).await {
            Ok(r) => {
                r.put(&mut out.slots);
                out.keep = Some(Box::new(r));
            }
            Err(e) => out.error = Some(e),
        }
    });
    Ok(Box::new(theater_fast_call_t { future: Some(future), output }))
}

// ---- Host functions --------------------------------------------------------------

/// A host function implemented in C++: receives its arguments as slots (valid during
/// the callback), writes its results' slots (valid until the continuation's finalizer
/// runs), or sets `error_ret`. The continuation says when the results are there.
pub type theater_fast_host_callback_t = extern "C" fn(
    env: *mut c_void,
    ctx: WasmtimeStoreContextMut<'_>,
    args: *const Slot,
    nargs: usize,
    results: *mut Slot,
    nresults: usize,
    error_ret: &mut Option<Box<wasmtime_error_t>>,
    continuation: &mut wasmtime_async_continuation_t,
);

struct Env(*mut c_void);
unsafe impl Send for Env {}
unsafe impl Sync for Env {}

extern "C" fn continuation_not_set(_: *mut c_void) -> bool {
    panic!("a host function set neither a result, an error nor a continuation")
}

fn add_host<P, R>(
    instance: &mut LinkerInstance<'_, WasmtimeStoreData>,
    name: &str,
    callback: theater_fast_host_callback_t,
    data: *mut c_void,
) -> Result<()>
where
    P: ComponentNamedList + Lift + Put + Send + Sync + 'static,
    R: ComponentNamedList + Lower + for<'x> Take<'x> + Send + Sync + 'static,
{
    let env = Env(data);
    instance.func_wrap_async(
        name,
        move |ctx: StoreContextMut<'_, WasmtimeStoreData>,
              params: P|
              -> Box<dyn Future<Output = Result<R>> + Send + '_> {
            let env = &env;
            let mut args = Vec::with_capacity(P::COUNT);
            params.put(&mut args);
            let mut results = vec![Slot::default(); R::COUNT];
            let mut error = None;
            let mut continuation = wasmtime_async_continuation_t {
                callback: continuation_not_set,
                env: std::ptr::null_mut(),
                finalizer: None,
            };
            callback(
                env.0,
                ctx,
                args.as_ptr(),
                args.len(),
                results.as_mut_ptr(),
                results.len(),
                &mut error,
                &mut continuation,
            );
            drop(args);
            drop(params); // the callback copied what it needed
            if let Some(e) = error {
                return Box::new(async move { Err(Error::from(*e)) });
            }
            Box::new(async move {
                (&mut continuation).await;
                let mut i = 0;
                let r = unsafe { R::take(&results, &mut i) };
                drop(continuation); // frees what the result slots point into
                r
            })
        },
    )
}

// ---- The shapes ----------------------------------------------------------------

// Every signature with a typed path, as src/engine/value_convert.cc renders it. Export
// parameters borrow the caller's bytes; host function parameters and results are owned.
macro_rules! shapes {
    (exports { $($esig:literal => ($($ep:ty),*) -> ($($er:ty),*);)* }
     hosts { $($hsig:literal => ($($hp:ty),*) -> ($($hr:ty),*);)* }) => {
        const EXPORT_SIGNATURES: &[&str] = &[$($esig),*];
        const HOST_SIGNATURES: &[&str] = &[$($hsig),*];

        fn start_shape<'a>(
            shape: usize,
            func: &'a Func,
            ctx: WasmtimeStoreContextMut<'a>,
            args: &'a [Slot],
        ) -> Result<Box<theater_fast_call_t<'a>>> {
            let mut n = 0usize;
            $(
                if shape == n {
                    return start_call::<($($ep,)*), ($($er,)*)>(func, ctx, args);
                }
                n += 1;
            )*
            let _ = n;
            Err(Error::msg("no such export shape"))
        }

        fn add_shape(
            shape: usize,
            instance: &mut LinkerInstance<'_, WasmtimeStoreData>,
            name: &str,
            callback: theater_fast_host_callback_t,
            data: *mut c_void,
        ) -> Result<()> {
            let mut n = 0usize;
            $(
                if shape == n {
                    return add_host::<($($hp,)*), ($($hr,)*)>(instance, name, callback, data);
                }
                n += 1;
            )*
            let _ = n;
            Err(Error::msg("no such host function shape"))
        }
    };
}

type State<'a> = Option<&'a [u8]>;
type NewState = Result<(Option<Vec<u8>>,), String>;

shapes! {
    exports {
        // init (with its actor id), handle-channel-close, handle-child-external-stop
        "func(option<list<u8>>, tuple<string>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>, (&'a str,)) -> (NewState);
        // init without parameters
        "func(option<list<u8>>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>) -> (NewState);
        // handle-send
        "func(option<list<u8>>, tuple<list<u8>>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>, (&'a [u8],)) -> (NewState);
        // handle-request
        "func(option<list<u8>>, tuple<string, list<u8>>) -> result<tuple<option<list<u8>>, tuple<option<list<u8>>>>, string>"
            => (State<'a>, (&'a str, &'a [u8])) -> (Result<(Option<Vec<u8>>, (Option<Vec<u8>>,)), String>);
        // handle-channel-message
        "func(option<list<u8>>, tuple<string, list<u8>>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>, (&'a str, &'a [u8])) -> (NewState);
        // handle-child-exit
        "func(option<list<u8>>, tuple<string, option<list<u8>>>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>, (&'a str, Option<&'a [u8]>)) -> (NewState);
        // handle-stdout, handle-stderr
        "func(option<list<u8>>, tuple<u64, list<u8>>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>, (u64, &'a [u8])) -> (NewState);
        // handle-exit
        "func(option<list<u8>>, tuple<u64, s32>) -> result<tuple<option<list<u8>>>, string>"
            => (State<'a>, (u64, i32)) -> (NewState);
    }
    hosts {
        // send, send-on-channel, respond-to-request
        "func(string, list<u8>) -> result<_, string>" => (String, Vec<u8>) -> (Result<(), String>);
        // open-channel
        "func(string, list<u8>) -> result<string, string>" => (String, Vec<u8>) -> (Result<String, String>);
        // request
        "func(string, list<u8>) -> result<list<u8>, string>" => (String, Vec<u8>) -> (Result<Vec<u8>, String>);
        // spawn, resume
        "func(string, option<list<u8>>) -> result<string, string>"
            => (String, Option<Vec<u8>>) -> (Result<String, String>);
        // get-child-state
        "func(string) -> result<option<list<u8>>, string>" => (String) -> (Result<Option<Vec<u8>>, String>);
        // read-file
        "func(string) -> result<list<u8>, string>" => (String) -> (Result<Vec<u8>, String>);
        // random-bytes
        "func(u32) -> result<list<u8>, string>" => (u32) -> (Result<Vec<u8>, String>);
        // os-write-stdin
        "func(u64, list<u8>) -> result<u32, string>" => (u64, Vec<u8>) -> (Result<u32, String>);
        // get-state
        "func() -> list<u8>" => () -> (Vec<u8>);
        // shutdown
        "func(option<list<u8>>) -> result<_, string>" => (Option<Vec<u8>>) -> (Result<(), String>);
        // log
        "func(string)" => (String) -> ();
        // write-file
        "func(string, string) -> result<_, string>" => (String, String) -> (Result<(), String>);
    }
}

// ---- The C ABI -------------------------------------------------------------------

fn shape_index(table: &[&str], signature: *const u8, len: usize) -> i32 {
    let sig = unsafe { std::slice::from_raw_parts(signature, len) };
    table.iter().position(|s| s.as_bytes() == sig).map(|i| i as i32).unwrap_or(-1)
}

/// The typed shape of an export with this signature, or -1 (use the C API).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn theater_fast_export_shape(signature: *const u8, len: usize) -> i32 {
    shape_index(EXPORT_SIGNATURES, signature, len)
}

/// The typed shape of a host function with this signature, or -1 (use the C API).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn theater_fast_host_shape(signature: *const u8, len: usize) -> i32 {
    shape_index(HOST_SIGNATURES, signature, len)
}

/// Starts a typed call of `func`. `args` (and what they point to) must stay valid until
/// the call is deleted. Fails, without starting anything, when the export's type does
/// not fit the shape or an argument does not fit its slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn theater_fast_call_start<'a>(
    shape: i32,
    func: &'a Func,
    ctx: WasmtimeStoreContextMut<'a>,
    args: *const Slot,
    nargs: usize,
    call_ret: &mut *mut theater_fast_call_t<'a>,
) -> Option<Box<wasmtime_error_t>> {
    let args: &'a [Slot] = if nargs == 0 { &[] } else { unsafe { std::slice::from_raw_parts(args, nargs) } };
    match start_shape(shape as usize, func, ctx, args) {
        Ok(call) => {
            *call_ret = Box::into_raw(call);
            None
        }
        Err(e) => Some(Box::new(wasmtime_error_t::from(e))),
    }
}

/// Runs the call until it finishes (true) or yields / waits (false).
#[unsafe(no_mangle)]
pub extern "C" fn theater_fast_call_poll(call: &mut theater_fast_call_t<'_>) -> bool {
    let Some(future) = call.future.as_mut() else { return true };
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(()) => {
            call.future = None;
            true
        }
        Poll::Pending => false,
    }
}

/// A finished call's result slots (valid until the call is deleted), or its error
/// (handed to the caller, who deletes it).
#[unsafe(no_mangle)]
pub extern "C" fn theater_fast_call_results(
    call: &mut theater_fast_call_t<'_>,
    slots_ret: &mut *const Slot,
    nslots_ret: &mut usize,
) -> Option<Box<wasmtime_error_t>> {
    if let Some(e) = call.output.error.take() {
        return Some(Box::new(wasmtime_error_t::from(e)));
    }
    *slots_ret = call.output.slots.as_ptr();
    *nslots_ret = call.output.slots.len();
    None
}

/// Deletes a call; an unfinished one is abandoned (its fiber unwinds).
#[unsafe(no_mangle)]
pub extern "C" fn theater_fast_call_delete(call: Box<theater_fast_call_t<'_>>) {
    let mut call = call;
    call.future = None; // before the output it writes into
    drop(call);
}

/// Defines `name` in a linker instance as a typed host function of this shape.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn theater_fast_linker_add_func(
    instance: &mut wasmtime_component_linker_instance_t<'_>,
    name: *const u8,
    name_len: usize,
    shape: i32,
    callback: theater_fast_host_callback_t,
    data: *mut c_void,
) -> Option<Box<wasmtime_error_t>> {
    let name = unsafe { std::slice::from_raw_parts(name, name_len) };
    let Ok(name) = std::str::from_utf8(name) else {
        return Some(Box::new(wasmtime_error_t::from(Error::msg("function name is not UTF-8"))));
    };
    // `wasmtime_component_linker_instance_t` is a transparent wrapper of LinkerInstance.
    let instance = unsafe {
        &mut *(instance as *mut wasmtime_component_linker_instance_t<'_>
            as *mut LinkerInstance<'_, WasmtimeStoreData>)
    };
    match add_shape(shape as usize, instance, name, callback, data) {
        Ok(()) => None,
        Err(e) => Some(Box::new(wasmtime_error_t::from(e))),
    }
}
