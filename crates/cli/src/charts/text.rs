//! Text for the chart backends, from the embedded font: a plotters backend wrapper that
//! measures text with the font's real metrics (both backends) and rasterises it itself on
//! bitmaps.
//!
//! Why not plotters' own `ab_glyph` text path: plotters 0.3.7 scales fonts by line height
//! instead of em size (so its text is ~14 % smaller than the SVG the browser draws at the
//! same size) and drops each glyph's left side bearing and baseline offset when
//! rasterising, which visibly misplaces glyphs ("1·31·3" for "1.31.3"). Here a glyph is
//! laid out on a common baseline at its advance and kerning, the way a browser sets the
//! SVG text, so PNG and SVG agree on what fits where.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// Text metrics and rasterisation with one font.
#[derive(Debug, Clone)]
pub struct Typesetter {
    font: FontRef<'static>,
}

/// A line of text laid out at the origin: top-left (0, 0), baseline at `ascent`.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Advance width, px.
    pub width: f32,
    /// Ascent minus descent, px.
    pub height: f32,
    /// Baseline below the top, px.
    pub ascent: f32,
}

impl Typesetter {
    /// A typesetter for `bytes` (a TrueType/OpenType file).
    pub fn new(bytes: &'static [u8]) -> Option<Typesetter> {
        FontRef::try_from_slice(bytes)
            .ok()
            .map(|font| Typesetter { font })
    }

    /// The scale at which one em is `size` pixels, as CSS `font-size` does it.
    fn scale(&self, size: f64) -> PxScale {
        let upem = self.font.units_per_em().unwrap_or(2048.0);
        PxScale::from(size as f32 * self.font.height_unscaled() / upem)
    }

    /// Lays out `text` at em size `size`; calls `glyph(id, x)` for each glyph.
    fn walk(&self, text: &str, size: f64, mut glyph: impl FnMut(ab_glyph::GlyphId, f32)) -> Layout {
        let scaled = self.font.as_scaled(self.scale(size));
        let mut x = 0.0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            glyph(id, x);
            x += scaled.h_advance(id);
            prev = Some(id);
        }
        Layout {
            width: x,
            height: scaled.ascent() - scaled.descent(),
            ascent: scaled.ascent(),
        }
    }

    /// The size of `text` at em size `size`.
    pub fn measure(&self, text: &str, size: f64) -> Layout {
        self.walk(text, size, |_, _| {})
    }

    /// Rasterises `text` with its top-left at the origin: `pixel(x, y, coverage)`.
    pub fn raster(&self, text: &str, size: f64, mut pixel: impl FnMut(i32, i32, f32)) -> Layout {
        let scale = self.scale(size);
        let mut glyphs = Vec::new();
        let layout = self.walk(text, size, |id, x| glyphs.push((id, x)));
        for (id, x) in glyphs {
            let g = id.with_scale_and_position(scale, point(x, layout.ascent));
            if let Some(outline) = self.font.outline_glyph(g) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, c| {
                    pixel(b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32, c);
                });
            }
        }
        layout
    }
}

/// Wraps a plotters backend: text is measured with [`Typesetter`], and on bitmaps
/// (`raster`) drawn with it too; vector backends keep emitting text elements.
pub struct TextBackend<B> {
    inner: B,
    typesetter: Typesetter,
    raster: bool,
}

impl<B> TextBackend<B> {
    /// Wraps `inner`; `raster` when it is a bitmap.
    pub fn new(inner: B, typesetter: Typesetter, raster: bool) -> TextBackend<B> {
        TextBackend {
            inner,
            typesetter,
            raster,
        }
    }
}

impl<B: DrawingBackend> DrawingBackend for TextBackend<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let l = self.typesetter.measure(text, style.size());
        Ok((l.width.ceil() as u32, l.height.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if !self.raster {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let l = self.typesetter.measure(text, style.size());
        let (w, h) = (l.width.round() as i32, l.height.round() as i32);
        // Anchor offsets apply to the unrotated box, then the box turns about the anchor,
        // as plotters' default text path does.
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Center => -w / 2,
            HPos::Right => -w,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let transform = style.transform();
        let mut result = Ok(());
        let inner = &mut self.inner;
        self.typesetter.raster(text, style.size(), |x, y, c| {
            if result.is_err() || c <= 0.0 {
                return;
            }
            let (tx, ty) = transform.transform(x + dx, y + dy);
            let px = BackendColor {
                alpha: color.alpha * f64::from(c.min(1.0)),
                rgb: color.rgb,
            };
            result = inner.draw_pixel((pos.0 + tx, pos.1 + ty), px);
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts() -> Typesetter {
        Typesetter::new(super::super::DEJAVU_SANS).unwrap()
    }

    #[test]
    fn measures_at_em_size() {
        let t = ts();
        let m = t.measure("M", 100.0);
        // DejaVu Sans: 'M' advances 1767 of 2048 units; ascent 1901, descent 483.
        assert!((m.width - 86.3).abs() < 0.5, "{m:?}");
        assert!((m.height - 116.4).abs() < 0.5, "{m:?}");
        assert_eq!(t.measure("", 12.0).width, 0.0);
        assert!(t.measure("ab", 12.0).width > t.measure("a", 12.0).width);
    }

    #[test]
    fn glyphs_share_a_baseline() {
        let t = ts();
        // The lowest inked row of '.' and of 'x' is the same: both sit on the baseline.
        let bottom = |s: &str| {
            let mut max = i32::MIN;
            t.raster(s, 40.0, |_, y, c| {
                if c > 0.5 {
                    max = max.max(y);
                }
            });
            max
        };
        assert_eq!(bottom("."), bottom("x"));
        // '.' after a digit starts right of the digit's ink, not over it.
        let mut xs = Vec::new();
        t.raster("1.", 40.0, |x, _, c| {
            if c > 0.5 {
                xs.push(x);
            }
        });
        let one_right = t.measure("1", 40.0).width as i32;
        assert!(xs.iter().any(|&x| x >= one_right), "no ink right of '1'");
    }
}
