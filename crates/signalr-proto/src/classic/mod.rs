//! Classic ASP.NET SignalR 2.x (HPC Pack 2016): endpoint URLs, the negotiate answer, frames and
//! the reconnect cursor.

pub mod cursor;
pub mod frame;
pub mod negotiate;
pub mod urls;

pub use cursor::Cursor;
