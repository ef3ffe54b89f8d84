//! The HTTP server: hyper on a tokio runtime of its own (made here, so commands that never
//! serve pay nothing for it), each request in a fresh store instantiated from the slot's
//! current component. A request whose instance traps gets a 500; the next gets a new
//! instance.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::BodyExt;
use hyper::server::conn::http1;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView as _;

use super::{new_store, RuntimeError, Slot};

/// What happens while serving, for whoever shows it.
#[derive(Debug, Clone)]
pub enum ServeEvent {
    /// A request was answered.
    Answered {
        method: String,
        path: String,
        status: u16,
        micros: u128,
    },
    /// The component failed a request (a trap, or no response set): it got a 500.
    Failed { path: String, error: String },
}

/// A running server; stopped when [`Served::stop`] is called or it is dropped.
pub struct Served {
    pub address: SocketAddr,
    stop: Arc<tokio::sync::Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    /// Stops accepting, lets requests in flight finish briefly, and joins the server.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Where a server's events go.
pub type EventSink = Arc<dyn Fn(ServeEvent) + Send + Sync>;

/// Serves the slot's component on `address` until stopped. The address is bound before
/// this returns, so a taken port is an error here.
pub fn serve(slot: Slot, address: &str, on_event: EventSink) -> Result<Served, RuntimeError> {
    let listen_error = |source: std::io::Error| RuntimeError::Listen {
        address: address.to_string(),
        source,
    };
    let listener = std::net::TcpListener::bind(address).map_err(listen_error)?;
    listener.set_nonblocking(true).map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let thread = std::thread::Builder::new()
        .name("wasmcloud-run".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                loop {
                    let accepted = tokio::select! {
                        accepted = listener.accept() => accepted,
                        _ = stopped.notified() => break,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    let slot = slot.clone();
                    let on_event = on_event.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let slot = slot.clone();
                            let on_event = on_event.clone();
                            async move {
                                Ok::<_, std::convert::Infallible>(
                                    answer(&slot, request, &on_event).await,
                                )
                            }
                        });
                        let _ = http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            runtime.shutdown_timeout(std::time::Duration::from_secs(2));
        })?;
    Ok(Served {
        address: bound,
        stop,
        thread: Some(thread),
    })
}

/// One request: the component's response, or a 500 saying why there is none.
async fn answer(
    slot: &Slot,
    request: hyper::Request<hyper::body::Incoming>,
    on_event: &EventSink,
) -> hyper::Response<HyperOutgoingBody> {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    match handle(slot, request).await {
        Ok(response) => {
            on_event(ServeEvent::Answered {
                method,
                path,
                status: response.status().as_u16(),
                micros: started.elapsed().as_micros(),
            });
            response
        }
        Err(error) => {
            let error = format!("{error:#}");
            on_event(ServeEvent::Failed {
                path,
                error: error.clone(),
            });
            let body = http_body_util::Full::new(bytes::Bytes::from(format!(
                "the component failed this request: {}\n",
                error.lines().next().unwrap_or("")
            )))
            .map_err(|never| match never {})
            .boxed_unsync();
            let mut response = hyper::Response::new(body);
            *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

async fn handle(
    slot: &Slot,
    request: hyper::Request<hyper::body::Incoming>,
) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
    let prepared = slot.current();
    let pre = prepared.pre.clone();
    let mut store = new_store(&prepared);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(store, incoming, out)
            .await
    });
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(wasmtime::Error::msg(format!("{code:?}"))),
        Err(_) => match task.await {
            Ok(Ok(())) => Err(wasmtime::Error::msg("the component never set a response")),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(e.into()),
        },
    }
}
