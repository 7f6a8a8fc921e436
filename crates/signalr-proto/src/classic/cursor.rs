//! The classic reconnect state: the last message cursor and groups token, taken from envelopes
//! and sent back on `/reconnect` so the server replays the gap and restores groups.

use super::frame::Envelope;

/// What `/reconnect` sends back: the last cursor and groups token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    message_id: Option<String>,
    groups_token: Option<String>,
}

impl Cursor {
    /// Takes the envelope's news. The cursor moves only when `M` is present (as the official
    /// clients do): a frame without messages does not vouch for what was delivered.
    pub fn observe(&mut self, envelope: &Envelope<'_>) {
        if let (Some(_), Some(c)) = (&envelope.messages, &envelope.cursor) {
            replace(&mut self.message_id, c);
        }
        if let Some(g) = &envelope.groups_token {
            replace(&mut self.groups_token, g);
        }
    }

    /// `messageId` for `/reconnect`.
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// `groupsToken` for `/reconnect`.
    pub fn groups_token(&self) -> Option<&str> {
        self.groups_token.as_deref()
    }
}

/// Reuses the old allocation: cursors arrive with nearly every frame.
fn replace(slot: &mut Option<String>, value: &str) {
    let s = slot.get_or_insert_with(String::new);
    s.clear();
    s.push_str(value);
}
