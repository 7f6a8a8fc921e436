//! Per-car side channels: race-control logs (`CarControlLogs`) and the in-car driver payload
//! (`InCarPayload`), decoded from their short JSON names and written with long camelCase names.
//! Decoding only.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::car::Text;

/// `ReceiveControlLog`'s argument: one car's control-log entries.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ControlLog<'a> {
    /// The car; empty for entries that concern no single car.
    #[serde(borrow, alias = "cn")]
    pub car_number: Cow<'a, str>,
    #[serde(borrow, alias = "entries", default, skip_serializing_if = "Option::is_none")]
    pub control_log_entries: Option<Vec<ControlLogEntry<'a>>>,
}

/// One race-control decision or note.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ControlLogEntry<'a> {
    #[serde(alias = "o", default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
    #[serde(borrow, alias = "t", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Text<'a>,
    #[serde(borrow, alias = "cor", default, skip_serializing_if = "Option::is_none")]
    pub corner: Text<'a>,
    #[serde(borrow, alias = "c1", default, skip_serializing_if = "Option::is_none")]
    pub car1: Text<'a>,
    #[serde(alias = "c1h", default, skip_serializing_if = "Option::is_none")]
    pub is_car1_highlighted: Option<bool>,
    #[serde(borrow, alias = "c2", default, skip_serializing_if = "Option::is_none")]
    pub car2: Text<'a>,
    #[serde(alias = "c2h", default, skip_serializing_if = "Option::is_none")]
    pub is_car2_highlighted: Option<bool>,
    #[serde(borrow, alias = "n", default, skip_serializing_if = "Option::is_none")]
    pub note: Text<'a>,
    #[serde(borrow, alias = "s", default, skip_serializing_if = "Option::is_none")]
    pub status: Text<'a>,
    #[serde(borrow, alias = "a", default, skip_serializing_if = "Option::is_none")]
    pub penalty_action: Text<'a>,
    #[serde(borrow, alias = "on", default, skip_serializing_if = "Option::is_none")]
    pub other_notes: Text<'a>,
}

/// `ReceiveInCarUpdateV2`'s argument: what the driver's display shows.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InCarPayload<'a> {
    #[serde(borrow, alias = "n")]
    pub car_number: Cow<'a, str>,
    #[serde(borrow, alias = "p", default, skip_serializing_if = "Option::is_none")]
    pub position_in_class: Text<'a>,
    #[serde(borrow, alias = "o", default, skip_serializing_if = "Option::is_none")]
    pub position_overall: Text<'a>,
    /// `Flags` as its number.
    #[serde(alias = "f", default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<i32>,
    /// Nearby cars; the upstream list may hold nulls.
    #[serde(borrow, alias = "c", default, skip_serializing_if = "Option::is_none")]
    pub cars: Option<Vec<Option<CarStatus<'a>>>>,
}

/// One nearby car on the in-car display.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CarStatus<'a> {
    #[serde(borrow, alias = "n", default, skip_serializing_if = "Option::is_none")]
    pub number: Text<'a>,
    #[serde(borrow, alias = "c", default, skip_serializing_if = "Option::is_none")]
    pub class: Text<'a>,
    #[serde(borrow, alias = "t", default, skip_serializing_if = "Option::is_none")]
    pub team: Text<'a>,
    #[serde(borrow, alias = "l", default, skip_serializing_if = "Option::is_none")]
    pub last_lap: Text<'a>,
    #[serde(borrow, alias = "gl", default, skip_serializing_if = "Option::is_none")]
    pub gain_loss: Text<'a>,
    #[serde(borrow, alias = "g", default, skip_serializing_if = "Option::is_none")]
    pub gap: Text<'a>,
    #[serde(borrow, alias = "ct", default, skip_serializing_if = "Option::is_none")]
    pub car_type: Text<'a>,
    #[serde(borrow, alias = "d", default, skip_serializing_if = "Option::is_none")]
    pub driver: Text<'a>,
    #[serde(alias = "id", default, skip_serializing_if = "Option::is_none")]
    pub transponder_id: Option<u32>,
    #[serde(borrow, alias = "i", default, skip_serializing_if = "Option::is_none")]
    pub car_image_url: Text<'a>,
}
