//! A figure drawn into memory on both backends: the SVG markup and the PNG bytes that
//! `charts/{name}.svg` and `charts/{name}.png` hold.
//!
//! A figure is drawn by code generic over the backend (`Figure::draw`), once for the SVG and
//! once for the PNG, so the two cannot drift apart. Nothing is drawn to disk: the report embeds
//! the markup it is handed rather than reading a file back, and tests check images without a
//! folder. The PNG is encoded as plotters' file backend encodes it (the `image` crate's PNG
//! encoder with its defaults), so the bytes are those a drawing straight to a file gives.

use std::io;
use std::ops::Range;
use std::sync::OnceLock;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{FONT, SIZE};

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the shipped font as "sans-serif", once per process.
fn register_font() -> io::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(
            "the shipped font DejaVuSans.ttf cannot be read",
        ))
    }
}

/// A chart's drawing, the same on any backend.
pub trait Figure {
    /// Draws the figure, its title among it (every chart does, through `style::framed`), so a
    /// page around it need not show the title a second time.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB>;
}

/// A figure drawn at `SIZE` on both backends.
pub struct Drawing {
    pub svg: String,
    /// Where the markup inside the root `<svg>` element lies in `svg`.
    pub elements: Range<usize>,
    pub png: Vec<u8>,
}

/// Draws `figure` as SVG and PNG; `name` names it in errors.
pub fn render(name: &str, figure: &impl Figure) -> io::Result<Drawing> {
    register_font()?;
    let (width, height) = SIZE;
    let mut svg = String::new();
    paint(
        SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(),
        figure,
    )
    .map_err(|e| failed(name, "svg", e))?;
    let elements = elements(&svg).ok_or_else(|| {
        io::Error::other(format!(
            "cannot draw {name}.svg: plotters wrote an unexpected root element"
        ))
    })?;
    let mut pixels = vec![0; width as usize * height as usize * 3];
    paint(
        BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area(),
        figure,
    )
    .map_err(|e| failed(name, "png", e))?;
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&pixels, width, height, image::ColorType::Rgb8)
        .map_err(|e| io::Error::other(format!("cannot encode {name}.png: {e}")))?;
    Ok(Drawing { svg, elements, png })
}

fn paint<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    figure: &impl Figure,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    figure.draw(&root)?;
    root.present()
}

fn failed<E: std::error::Error + Send + Sync>(
    name: &str,
    extension: &str,
    e: DrawingAreaErrorKind<E>,
) -> io::Error {
    io::Error::other(format!("cannot draw {name}.{extension}: {e}"))
}

/// The end tag plotters closes every SVG document with.
const END_TAG: &str = "</svg>\n";

/// Where the markup between the root element's start and end tags lies in `svg`, a document
/// drawn at `SIZE`. The start tag is known without reading the markup: it is all plotters writes
/// for an empty drawing of the same size, before the end tag.
fn elements(svg: &str) -> Option<Range<usize>> {
    let mut empty = String::new();
    drop(SVGBackend::with_string(&mut empty, SIZE));
    let start_tag = empty.strip_suffix(END_TAG)?;
    let inner = svg.strip_prefix(start_tag)?.strip_suffix(END_TAG)?;
    Some(start_tag.len()..start_tag.len() + inner.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Blank;

    impl Figure for Blank {
        fn draw<DB: DrawingBackend>(&self, _: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
            Ok(())
        }
    }

    #[test]
    fn the_elements_are_the_markup_inside_the_root_element() {
        let drawing = render("blank", &Blank).unwrap();
        let root = r#"<svg width="1200" height="700" viewBox="0 0 1200 700" xmlns="http://www.w3.org/2000/svg">"#;
        assert!(drawing.svg.starts_with(root), "{}", drawing.svg);
        assert_eq!(drawing.elements.start, root.len() + 1);
        let inner = &drawing.svg[drawing.elements.clone()];
        assert_eq!(
            inner,
            "<rect x=\"0\" y=\"0\" width=\"1200\" height=\"700\" opacity=\"1\" fill=\"#FFFFFF\" stroke=\"none\"/>\n"
        );
        assert_eq!(&drawing.svg[drawing.elements.end..], "</svg>\n");
        assert_eq!(&drawing.png[1..4], b"PNG");
    }
}
