//! A little of everything the scanner maps; the fixture crates' lib.rs files are added to
//! the corpus by scripts/fuzz.sh.

/// A point.
#[derive(Clone)]
pub struct Point {
    pub x: i32,
    pub y: Option<Vec<u8>>,
}

pub enum Shape {
    Dot(Point),
    Empty,
}

pub type Points = Vec<(Point, String)>;

pub trait Canvas {
    type Brush;
    fn draw(&self, shape: Shape, at: &[Point]) -> Result<u64, String>;
    fn brush(&self, width: f32) -> Self::Brush;
}
