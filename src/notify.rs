//! Outbound messages to citizens. SMS leaves through an [`SmsGateway`]: an HTTP
//! gateway in production, or a development outbox (a file or the log) an operator can
//! read.

mod sms;

pub use sms::{HttpGateway, Outbox, SmsGateway, SmsSender};

/// Delivery errors.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The gateway could not be reached or refused the message.
    #[error("SMS gateway failed: {0}")]
    Gateway(String),
}
