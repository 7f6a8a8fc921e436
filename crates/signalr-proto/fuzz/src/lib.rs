//! Helpers shared by the protocol fuzz targets: cutting an input into WebSocket-sized pieces, so
//! record boundaries fall anywhere inside a frame.

/// Splits `data` into pieces of `size` bytes (the last one shorter); `size` 0 means one piece.
/// The first input byte usually picks `size`, so the fuzzer explores record boundaries that
/// fall anywhere inside a frame.
pub fn pieces(data: &[u8], size: u8) -> Vec<&[u8]> {
    match size {
        0 => vec![data],
        n => data.chunks(usize::from(n)).collect(),
    }
}

/// [`pieces`] for text: each cut moves forward to the next character boundary, as a text
/// WebSocket frame always ends on one.
pub fn text_pieces(text: &str, size: u8) -> Vec<&str> {
    if size == 0 {
        return vec![text];
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + usize::from(size)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}
