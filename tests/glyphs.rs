//! The storefront's drawings against the catalog's vocabulary.

#[test]
fn the_storefront_draws_every_catalog_glyph() {
    // Guards against a glyph added to the catalog vocabulary without a drawing (it would fall
    // back to a plain dot).
    let source = include_str!("../src/components/picture.rs");
    for glyph in tastebud_core::GLYPHS {
        let arm = |sep: &str| source.contains(&format!("\"{glyph}\" {sep}"));
        assert!(arm("=>") || arm("|"), "no drawing for {glyph}");
    }
}
