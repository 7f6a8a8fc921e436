//! The ASP.NET Core SignalR dialect (JSON hub protocol over WebSockets).

pub mod connect;
pub mod json;
pub mod negotiate;
pub mod session;
