//! The one writer to the terminal. Events go to stdout; notices and logs go to stdout too when
//! it is a terminal (between the events, above the footer), else to stderr so that piped
//! stdout holds events only. On a terminal the footer stays on the last line: it is erased
//! before new lines and drawn again after them. Every byte passes the [`Redactor`].

use std::io::{self, IsTerminal, Write};

use super::redact::Redactor;
use super::render::{event_line, Style};
use crate::event::Event;

/// Erase the current line and go to its start.
const ERASE_LINE: &str = "\r\x1b[2K";

/// Where the output goes and how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// stdout is a terminal: notices share it, and the footer is drawn.
    pub tty: bool,
    /// Events as CloudEvents JSON lines.
    pub json: bool,
    pub style: Style,
}

impl Mode {
    /// Colour when asked, or (`auto`) on a terminal without `NO_COLOR` set to anything.
    pub fn detect(json: bool, color: super::ColorArg) -> Mode {
        let tty = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            super::ColorArg::Always => true,
            super::ColorArg::Never => false,
            super::ColorArg::Auto => tty && !no_color,
        };
        Mode { tty, json, style: Style { color } }
    }
}

/// Buffered lines for stdout and stderr, written out on [`Screen::flush`].
pub struct Screen {
    mode: Mode,
    redactor: Redactor,
    out: Vec<u8>,
    err: Vec<u8>,
    /// The footer to keep on the last line; `None` until the first one.
    footer: Option<String>,
    /// Whether the footer is on the screen (or in `out`, to be).
    drawn: bool,
}

impl Screen {
    pub fn new(mode: Mode, redactor: Redactor) -> Screen {
        Screen { mode, redactor, out: Vec::new(), err: Vec::new(), footer: None, drawn: false }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// One event.
    pub fn event(&mut self, event: &Event) {
        let line = if self.mode.json {
            // The JSON line exactly as the stdout sink writes it (colour never applies).
            String::from_utf8_lossy(&event.to_json()).into_owned()
        } else {
            event_line(self.mode.style, event)
        };
        self.erase_footer();
        let line = self.redactor.scrub(&line).into_owned();
        self.out.extend_from_slice(line.as_bytes());
        self.out.push(b'\n');
    }

    /// A notice or log line, already rendered.
    pub fn info(&mut self, line: &str) {
        let line = self.redactor.scrub(line).into_owned();
        if self.mode.tty {
            self.erase_footer();
            self.out.extend_from_slice(line.as_bytes());
            self.out.push(b'\n');
        } else {
            self.err.extend_from_slice(line.as_bytes());
            self.err.push(b'\n');
        }
    }

    /// Replaces the footer (drawn on the next flush; only on a terminal).
    pub fn footer(&mut self, line: String) {
        if self.mode.tty {
            let line = self.redactor.scrub(&line).into_owned();
            if self.footer.as_ref() != Some(&line) {
                self.erase_footer();
                self.footer = Some(line);
            }
        }
    }

    fn erase_footer(&mut self) {
        if self.drawn {
            self.out.extend_from_slice(ERASE_LINE.as_bytes());
            self.drawn = false;
        }
    }

    /// Writes what is buffered, the footer last. An error (a closed pipe) means stop.
    pub fn flush(&mut self) -> io::Result<()> {
        if let (false, Some(footer)) = (self.drawn, &self.footer) {
            self.out.extend_from_slice(footer.as_bytes());
            self.drawn = true;
        }
        if !self.err.is_empty() {
            let mut err = io::stderr().lock();
            err.write_all(&self.err)?;
            err.flush()?;
            self.err.clear();
        }
        if !self.out.is_empty() {
            let mut out = io::stdout().lock();
            out.write_all(&self.out)?;
            out.flush()?;
            self.out.clear();
        }
        Ok(())
    }

    /// Erases the footer for good, leaving the cursor at the start of a clean line.
    pub fn finish(&mut self) -> io::Result<()> {
        self.erase_footer();
        self.footer = None;
        self.flush()
    }

    /// The terminal's width in columns (80 when it cannot be told).
    pub fn width(&self) -> usize {
        rustix::termios::tcgetwinsize(io::stdout())
            .ok()
            .map(|size| usize::from(size.ws_col))
            .filter(|cols| *cols > 0)
            .unwrap_or(80)
    }
}
