//! Reaching a hub: negotiate redirects and OAuth2 tokens, end to end.

mod oauth;
mod redirect;

use super::*;
