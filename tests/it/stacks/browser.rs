//! (browser test follows)
