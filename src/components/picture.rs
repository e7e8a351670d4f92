//! Item pictures drawn locally as SVG: a glyph on a tile in the item's hue. No image hosts.

use yew::prelude::*;

/// Props of [`Picture`].
#[derive(Properties, PartialEq)]
pub struct PictureProps {
    /// Glyph name from the catalog.
    pub glyph: AttrValue,
    /// Background hue, 0-359.
    pub hue: u16,
}

/// A decorative picture (hidden from screen readers: the title says what it is).
#[function_component(Picture)]
pub fn picture(props: &PictureProps) -> Html {
    let hue = props.hue % 360;
    let bg = format!("hsl({hue}, 55%, 88%)");
    let fg = format!("hsl({hue}, 45%, 30%)");
    html! {
        <svg class="picture" viewBox="0 0 100 100" role="presentation" aria-hidden="true" focusable="false">
            <rect width="100" height="100" rx="12" fill={bg} />
            <g fill="none" stroke={fg.clone()} stroke-width="5" stroke-linecap="round" stroke-linejoin="round">
                { glyph(&props.glyph, &fg) }
            </g>
        </svg>
    }
}

fn glyph(name: &str, fg: &str) -> Html {
    let fill = fg.to_owned();
    match name {
        "tent" => {
            html! { <><path d="M15 78 L50 22 L85 78 Z" /><path d="M50 22 L50 78 M40 78 L50 58 L60 78" /></> }
        }
        "mountain" => {
            html! { <><path d="M10 80 L38 35 L52 55 L64 40 L90 80 Z" /><path d="M32 45 L38 35 L44 45" /></> }
        }
        "mug" | "cup" => {
            html! { <><path d="M25 30 H65 V70 A10 10 0 0 1 55 80 H35 A10 10 0 0 1 25 70 Z" /><path d="M65 40 H75 A8 8 0 0 1 75 60 H65" /></> }
        }
        "kettle" => {
            html! { <><path d="M28 45 H68 L72 80 H24 Z" /><path d="M68 52 L88 34" /><path d="M38 45 Q48 28 58 45" /></> }
        }
        "ski" => {
            html! { <><path d="M20 85 L70 15 Q76 10 78 16" /><path d="M34 88 L84 18 Q90 13 92 19" /><path d="M30 60 L55 65" /></> }
        }
        "shoe" => {
            html! { <><path d="M15 70 V45 L35 45 L45 58 L80 62 Q88 64 88 72 V74 H15 Z" /><path d="M15 80 H88" /></> }
        }
        "headset" => {
            html! { <><rect x="15" y="38" width="70" height="30" rx="10" /><path d="M42 68 Q50 58 58 68" /><path d="M15 50 H8 M85 50 H92" /></> }
        }
        "drone" => {
            html! { <><rect x="40" y="42" width="20" height="16" rx="4" /><path d="M40 45 L22 28 M60 45 L78 28 M40 55 L22 72 M60 55 L78 72" /><circle cx="22" cy="28" r="9" /><circle cx="78" cy="28" r="9" /><circle cx="22" cy="72" r="9" /><circle cx="78" cy="72" r="9" /></> }
        }
        "camera" => {
            html! { <><rect x="15" y="32" width="70" height="46" rx="8" /><circle cx="50" cy="55" r="14" /><path d="M35 32 L40 22 H60 L65 32" /></> }
        }
        "calendar" | "gift" => {
            html! { <><rect x="18" y="28" width="64" height="54" rx="6" /><path d="M18 44 H82 M34 20 V34 M66 20 V34" /><path d="M32 56 H40 M48 56 H56 M64 56 H70 M32 68 H40 M48 68 H56" /></> }
        }
        "leaf" | "plant" => {
            html! { <><path d="M50 85 V45" /><path d="M50 55 Q20 50 22 22 Q48 22 50 50" /><path d="M50 62 Q80 58 80 32 Q56 32 50 60" /></> }
        }
        "bonsai" => {
            html! { <><path d="M30 82 H70 L65 70 H35 Z" /><path d="M50 70 Q45 55 55 45" /><ellipse cx="40" cy="36" rx="16" ry="9" /><ellipse cx="64" cy="40" rx="14" ry="8" /></> }
        }
        "dice" => {
            html! { <><rect x="22" y="22" width="56" height="56" rx="10" /><circle cx="37" cy="37" r="4" fill={fill.clone()} /><circle cx="63" cy="63" r="4" fill={fill.clone()} /><circle cx="50" cy="50" r="4" fill={fill} /></> }
        }
        "yarn" => {
            html! { <><circle cx="48" cy="52" r="26" /><path d="M28 38 Q50 50 70 36 M24 56 Q50 66 74 54 M36 74 Q50 44 58 28" /><path d="M72 70 Q84 80 90 72" /></> }
        }
        "book" | "pen" => {
            html! { <><path d="M50 28 Q35 20 18 24 V78 Q35 74 50 82 Q65 74 82 78 V24 Q65 20 50 28 Z" /><path d="M50 28 V82" /></> }
        }
        "fish" => {
            html! { <><path d="M18 50 Q40 25 68 50 Q40 75 18 50 Z" /><path d="M68 50 L86 36 V64 Z" /><circle cx="32" cy="47" r="2" fill={fill} /></> }
        }
        "bird" => {
            html! { <><path d="M20 60 Q30 35 55 40 L72 30 L68 45 Q75 60 55 68 Q35 72 20 60 Z" /><path d="M45 68 L40 82 M55 67 L58 82" /></> }
        }
        "keyboard" => {
            html! { <><rect x="12" y="32" width="76" height="38" rx="6" /><path d="M22 44 H26 M34 44 H38 M46 44 H50 M58 44 H62 M70 44 H76 M22 56 H28 M36 56 H64 M72 56 H78" /></> }
        }
        "bread" => {
            html! { <><path d="M18 62 Q18 30 50 30 Q82 30 82 62 V72 H18 Z" /><path d="M36 40 L42 52 M50 38 L54 52 M62 40 L66 52" /></> }
        }
        "record" => {
            html! { <><circle cx="50" cy="50" r="34" /><circle cx="50" cy="50" r="10" /><path d="M30 38 Q34 30 42 26" /></> }
        }
        "boat" => {
            html! { <><path d="M12 62 Q50 80 88 62 Q70 58 50 60 Q30 58 12 62 Z" /><path d="M50 58 V22 L72 50 H50" /></> }
        }
        "telescope" => {
            html! { <><path d="M20 50 L70 28 L76 42 L26 64 Z" /><path d="M46 52 L34 84 M46 52 L58 84" /></> }
        }
        "rope" => {
            html! { <><path d="M50 14 V30" /><path d="M34 40 Q50 24 66 40 L60 80 H40 Z" /><path d="M42 50 H58" /></> }
        }
        "tea" => {
            html! { <><path d="M22 44 H70 Q70 78 46 78 Q22 78 22 44 Z" /><path d="M70 50 Q84 50 80 62 Q76 68 66 66" /><path d="M38 36 Q34 28 40 22 M52 36 Q48 28 54 22" /></> }
        }
        "bike" => {
            html! { <><circle cx="28" cy="62" r="16" /><circle cx="72" cy="62" r="16" /><path d="M28 62 L44 38 H62 L72 62 M44 38 L52 62 H28 M58 30 H66" /></> }
        }
        "backpack" | "bag" => {
            html! { <><path d="M30 36 Q30 20 50 20 Q70 20 70 36 V82 H30 Z" /><path d="M40 20 V14 H60 V20" /><path d="M36 52 H64 V68 H36 Z" /></> }
        }
        "lantern" => {
            html! { <><path d="M38 30 H62 L66 76 H34 Z" /><path d="M42 30 Q50 14 58 30" /><path d="M50 44 Q56 54 50 62 Q44 54 50 44 Z" /></> }
        }
        "flame" => {
            html! { <path d="M50 84 Q24 78 30 52 Q34 36 50 16 Q54 34 64 40 Q78 54 70 72 Q64 84 50 84 Z" /> }
        }
        "bottle" => {
            html! { <><path d="M42 16 H58 V30 Q68 36 68 48 V82 H32 V48 Q32 36 42 30 Z" /><path d="M32 56 H68" /></> }
        }
        "watch" => {
            html! { <><circle cx="50" cy="50" r="20" /><path d="M42 31 L44 14 H56 L58 31 M42 69 L44 86 H56 L58 69 M50 40 V50 L57 55" /></> }
        }
        "binoculars" => {
            html! { <><circle cx="32" cy="62" r="16" /><circle cx="68" cy="62" r="16" /><path d="M26 47 L32 24 H44 L46 46 M74 47 L68 24 H56 L54 46 M46 40 H54" /></> }
        }
        "grinder" => {
            html! { <><path d="M32 50 H68 L64 84 H36 Z" /><path d="M36 50 L40 30 H60 L64 50" /><path d="M50 30 V18 H74" /></> }
        }
        "bean" => {
            html! { <><ellipse cx="50" cy="50" rx="22" ry="32" transform="rotate(30 50 50)" /><path d="M38 28 Q56 50 62 72" /></> }
        }
        "teapot" => {
            html! { <><path d="M28 46 Q28 80 50 80 Q72 80 72 46 Z" /><path d="M72 54 L86 40 M28 54 Q16 52 18 64 Q20 72 30 68" /><path d="M44 46 Q50 34 56 46" /></> }
        }
        "controller" => {
            html! { <><path d="M22 40 H78 Q90 40 88 60 Q86 76 74 70 L64 62 H36 L26 70 Q14 76 12 60 Q10 40 22 40 Z" /><path d="M28 52 H40 M34 46 V58" /><circle cx="64" cy="50" r="3" fill={fill.clone()} /><circle cx="72" cy="56" r="3" fill={fill} /></> }
        }
        "brush" => {
            html! { <><path d="M70 16 L44 58" /><path d="M44 58 Q30 60 28 74 Q26 84 18 86 Q40 90 48 76 Q52 68 44 58 Z" /></> }
        }
        "tool" => {
            html! { <><path d="M62 18 Q78 22 80 38 L70 40 L60 30 L62 18 Z" /><path d="M64 36 L24 76 Q20 82 26 84 Q30 86 34 80 L72 42" /></> }
        }
        "bowl" => {
            html! { <><path d="M16 48 H84 Q82 80 50 80 Q18 80 16 48 Z" /><path d="M36 40 Q40 30 36 22 M50 40 Q54 30 50 22 M64 40 Q68 30 64 22" /></> }
        }
        "moon" => {
            html! { <path d="M62 16 Q30 20 28 50 Q30 80 62 84 Q40 70 40 50 Q40 30 62 16 Z" /> }
        }
        "phone" => {
            html! { <><rect x="32" y="14" width="36" height="72" rx="8" /><path d="M44 74 H56" /></> }
        }
        "shirt" => {
            html! { <path d="M36 18 L18 32 L26 46 L34 42 V84 H66 V42 L74 46 L82 32 L64 18 Q50 30 36 18 Z" /> }
        }
        _ => html! { <circle cx="50" cy="50" r="20" /> },
    }
}
