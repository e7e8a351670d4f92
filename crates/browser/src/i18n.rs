//! Interface text in English and Simplified Chinese. Catalog text comes from the catalog itself.

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The BCP 47 tag (`en`, `zh-CN`), as the catalog and `<html lang>` use it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// Parses a stored or browser language tag: any `zh` variant is Chinese, anything else English.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }
}

/// A piece of interface text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Key {
    Tagline,
    SearchLabel,
    SearchPlaceholder,
    SearchButton,
    SwitchLanguage,
    LanguageName,
    Privacy,
    Cart,
    ForYou,
    ForYouEmpty,
    BecauseLiked,
    BecauseBought,
    BecauseCarted,
    BecauseRated,
    BecauseViewed,
    BecauseSearched,
    BecausePicked,
    PopularPick,
    PopularInShop,
    OutOfStock,
    SimilarTo,
    YouViewed,
    TrendingNow,
    MembersFavourite,
    BoughtWith,
    RecentlyViewed,
    Preorder,
    Backorder,
    Interests,
    InterestsEmpty,
    LedBy,
    Like,
    Liked,
    NotInterested,
    AddToCart,
    InCart,
    Rate,
    YourRating,
    TopRated,
    Trending,
    Creators,
    TrendingItems,
    MembersList,
    BoughtTogether,
    SearchBrands,
    SearchedBrand,
    /// Why a pinned item is in a list.
    Featured,
    Browse,
    Home,
    OnboardingTitle,
    OnboardingHint,
    OnboardingStart,
    OnboardingSkip,
    PrivacyTitle,
    PrivacyExplain,
    StoredInteractions,
    StoredInterests,
    StoredSetAside,
    StoredNothing,
    Export,
    Erase,
    Erased,
    Close,
    StorageUnavailable,
    StorageFull,
    Recovered,
    DamagedKept,
    ConsentAsk,
    ConsentYes,
    ConsentNo,
    ConsentMemory,
    ConsentStored,
    ConsentWithdraw,
    Loading,
    LoadFailed,
    ResultsFor,
    NoResults,
    Similar,
    Dismissed,
    Open,
    Items,
    SkipToContent,
    MoreFamiliar,
    MoreNiche,
    NicheControl,
    Stars,
}

/// The text for `key` in `lang`. `{}` marks where a caller substitutes a value.
///
/// Always inlined, so each call with a known key keeps only its own two strings: the widget,
/// which shows a handful of these texts, then carries those and not the storefront's table.
#[inline(always)]
pub fn t(lang: Lang, key: Key) -> &'static str {
    let (en, zh) = match key {
        Key::Tagline => (
            "Find your next small obsession. Recommendations are computed in your browser; nothing about you leaves this device.",
            "发现你的下一个小爱好。推荐在你的浏览器里计算，关于你的一切都不会离开这台设备。",
        ),
        Key::SearchLabel => ("Search the shop", "搜索商品"),
        Key::SearchPlaceholder => ("Search: tent, pour-over, 手冲…", "搜索：帐篷、手冲、film…"),
        Key::SearchButton => ("Search", "搜索"),
        Key::SwitchLanguage => ("Switch the interface to Chinese", "切换到英文界面"),
        Key::LanguageName => ("中文", "English"),
        Key::Privacy => ("Your data", "你的数据"),
        Key::Cart => ("Cart", "购物车"),
        Key::ForYou => ("For you", "为你推荐"),
        Key::ForYouEmpty => (
            "For now, what is popular in this shop: like a few things, or pick some interests, and these become your own recommendations.",
            "目前是本店热门：点赞几件商品，或选择几个兴趣，这里就会换成专属于你的推荐。",
        ),
        Key::BecauseLiked => ("Because you liked {}", "因为你喜欢{}"),
        Key::BecauseBought => ("Because you bought {}", "因为你买了{}"),
        Key::BecauseCarted => ("Because you put {} in your cart", "因为你把{}加入了购物车"),
        Key::BecauseRated => ("Because you rated {}", "因为你给{}评了分"),
        Key::BecauseViewed => ("Because you looked at {}", "因为你看过{}"),
        Key::BecauseSearched => ("Because you searched for {}", "因为你搜索过{}"),
        Key::BecausePicked => ("Because you picked {}", "因为你选择了{}"),
        Key::PopularPick => ("Popular with shoppers like you", "和你相似的顾客也喜欢"),
        Key::PopularInShop => ("Popular in this shop", "本店热门"),
        Key::OutOfStock => ("Out of stock", "缺货"),
        Key::SimilarTo => ("Similar to {}", "与{}相似"),
        Key::YouViewed => ("You looked at this", "你看过"),
        Key::TrendingNow => ("Popular this week", "本周热门"),
        Key::MembersFavourite => (
            "A favourite of our most loyal shoppers",
            "忠实会员的最爱",
        ),
        Key::BoughtWith => ("Often bought with {}", "常与{}一起购买"),
        Key::RecentlyViewed => ("Recently viewed", "最近看过"),
        Key::Preorder => ("Pre-order", "预售"),
        Key::Backorder => ("Ships later", "延后发货"),
        Key::Interests => ("Interests to explore", "值得探索的兴趣"),
        Key::InterestsEmpty => (
            "Niche interests you might enjoy show up here once you have liked a few things.",
            "点赞几件商品后，这里会出现你可能喜欢的小众兴趣。",
        ),
        Key::LedBy => ("Led here by {}", "源自{}"),
        Key::Like => ("Like", "喜欢"),
        Key::Liked => ("Liked", "已喜欢"),
        Key::NotInterested => ("Not interested", "不感兴趣"),
        Key::AddToCart => ("Add to cart", "加入购物车"),
        Key::InCart => ("In cart", "已加入"),
        Key::Rate => ("Rate {} stars", "评 {} 星"),
        Key::YourRating => ("Your rating", "你的评分"),
        Key::TopRated => ("Top rated", "评分最高"),
        Key::Trending => ("Trending searches", "热门搜索"),
        Key::Creators => ("Creators' picks", "达人精选"),
        Key::TrendingItems => ("Trending now", "当前热门"),
        Key::MembersList => ("Members' favourites", "会员私藏"),
        Key::BoughtTogether => ("Frequently bought together", "经常一起购买"),
        Key::SearchBrands => ("Hot-search brands", "热搜品牌"),
        Key::SearchedBrand => ("A much-searched brand: {}", "热搜品牌：{}"),
        Key::Featured => ("Featured by the shop", "店铺推荐"),
        Key::Browse => ("Browse", "浏览"),
        Key::Home => ("Shop home", "商店首页"),
        Key::OnboardingTitle => ("What are you curious about?", "你对什么感兴趣？"),
        Key::OnboardingHint => (
            "Pick a few interests to get started. They stay in this browser, and you can erase them any time.",
            "选几个兴趣开始吧。它们只保存在这个浏览器里，你可以随时清除。",
        ),
        Key::OnboardingStart => ("Show me", "开始推荐"),
        Key::OnboardingSkip => ("Skip", "跳过"),
        Key::PrivacyTitle => ("Your data", "你的数据"),
        Key::PrivacyExplain => (
            "Everything Tastebud knows about you is listed here. It is stored only in this browser's localStorage and never sent anywhere; recommendations are computed on this device.",
            "Tastebud 关于你的全部信息都列在这里。它们只保存在这个浏览器的 localStorage 中，从不发送到任何地方；推荐在这台设备上计算。",
        ),
        Key::StoredInteractions => ("{} interactions", "{} 条互动记录"),
        Key::StoredInterests => ("Interests you picked: {}", "你选择的兴趣：{}"),
        Key::StoredSetAside => (
            "{} damaged entries set aside (kept for export)",
            "{} 条损坏的记录已单独保存（可导出）",
        ),
        Key::StoredNothing => ("Nothing is stored.", "没有保存任何数据。"),
        Key::Export => ("Export as JSON", "导出为 JSON"),
        Key::Erase => ("Erase everything", "清除全部数据"),
        Key::Erased => ("Everything was erased from this browser.", "已从这个浏览器清除全部数据。"),
        Key::Close => ("Close", "关闭"),
        Key::StorageUnavailable => (
            "This browser's storage is unavailable, so your activity is kept only while this page is open.",
            "此浏览器的存储不可用，你的活动只在本页面打开期间保留。",
        ),
        Key::StorageFull => (
            "This browser's storage is full, so new activity is kept only while this page is open.",
            "此浏览器的存储已满，新的活动只在本页面打开期间保留。",
        ),
        Key::Recovered => (
            "Some stored activity was damaged: {} entries could not be read and were set aside. Everything else was kept.",
            "部分保存的活动已损坏：{} 条记录无法读取，已单独保存。其余数据均已保留。",
        ),
        Key::DamagedKept => (
            "Some stored activity was damaged: {} entries could not be read. Storage is full, so they could not be set aside; they are left where they were, and nothing was removed.",
            "部分保存的活动已损坏：{} 条记录无法读取。存储已满，无法单独保存；它们保留在原处，没有删除任何数据。",
        ),
        Key::ConsentAsk => (
            "Remember what you look at and like, to recommend better next time? It stays in this browser; nothing is sent anywhere.",
            "记住你浏览和喜欢的商品，以便下次推荐得更好吗？这些数据只保存在此浏览器中，不会发送到任何地方。",
        ),
        Key::ConsentYes => ("Remember on this device", "在此设备上记住"),
        Key::ConsentNo => ("Not now", "暂不"),
        Key::ConsentMemory => (
            "Nothing is stored: your activity is kept only while this page is open.",
            "未保存任何数据：你的活动只在本页面打开期间保留。",
        ),
        Key::ConsentStored => (
            "You agreed to keep your activity in this browser.",
            "你已同意在此浏览器中保存你的活动。",
        ),
        Key::ConsentWithdraw => ("Stop remembering and erase", "停止记住并清除"),
        Key::Loading => ("Loading the shop…", "正在加载商店…"),
        Key::LoadFailed => ("The shop could not be loaded: {}", "商店无法加载：{}"),
        Key::ResultsFor => ("Results for “{}”", "“{}”的搜索结果"),
        Key::NoResults => ("Nothing matches that search.", "没有找到匹配的商品。"),
        Key::Similar => ("Similar items", "相似商品"),
        Key::Dismissed => (
            "You said not interested: this is hidden from your recommendations. Like it to take that back.",
            "你标记了不感兴趣：它不会再出现在你的推荐里。点“喜欢”即可撤销。",
        ),
        Key::Open => ("Open {}", "打开{}"),
        Key::Items => ("{} items", "{} 件商品"),
        Key::SkipToContent => ("Skip to content", "跳到主要内容"),
        Key::MoreFamiliar => ("More familiar", "更熟悉"),
        Key::MoreNiche => ("More niche", "更小众"),
        Key::NicheControl => (
            "How adventurous your recommendations are, from more familiar to more niche",
            "推荐的探索程度：从更熟悉到更小众",
        ),
        Key::Stars => ("{} of 5 stars", "{} / 5 星"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// `t` with `{}` replaced by `value` (inlined like [`t`]).
#[inline(always)]
pub fn tf(lang: Lang, key: Key, value: &str) -> String {
    fill(t(lang, key), value)
}

/// `template` with its `{}` replaced by `value`.
fn fill(template: &str, value: &str) -> String {
    template.replacen("{}", value, 1)
}

/// An event kind's name as the visitor reads it.
pub fn kind_name(lang: Lang, kind: tastebud_core::EventKind) -> &'static str {
    use tastebud_core::EventKind as K;
    let (en, zh) = match kind {
        K::View => ("viewed", "浏览"),
        K::Click => ("opened from a list", "从列表打开"),
        K::Like => ("liked", "喜欢"),
        K::Rate => ("rated", "评分"),
        K::SearchHit => ("found by search", "通过搜索找到"),
        K::AddToCart => ("added to cart", "加入购物车"),
        K::Purchase => ("bought", "购买"),
        K::Dismiss => ("not interested", "不感兴趣"),
        K::Weight => ("weighted", "加权"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// How the familiar/niche control's value reads aloud.
pub fn niche_value(lang: Lang, level: f32) -> String {
    let (en, zh) = match level {
        l if l < 0.5 => ("most familiar", "最熟悉"),
        l if l < 1.0 => ("familiar", "偏熟悉"),
        l if l < 1.5 => ("balanced toward niche", "偏小众"),
        _ => ("most niche", "最小众"),
    };
    match lang {
        Lang::En => en.to_owned(),
        Lang::Zh => zh.to_owned(),
    }
}

/// "And" between names in a sentence.
pub fn and(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " and ",
        Lang::Zh => "和",
    }
}

/// A list separator.
pub fn list_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", ",
        Lang::Zh => "、",
    }
}

/// The "why" line of a recommendation: the visitor's items that led to it, named with what they
/// did with the first one (`kind`), else the interests they picked, else `None`.
pub fn because(
    lang: Lang,
    kind: Option<tastebud_core::EventKind>,
    items: &[String],
    interests: &[String],
) -> Option<String> {
    use tastebud_core::EventKind as K;
    if !items.is_empty() {
        // A known key in each arm, so only these texts are kept (see `t`).
        let template = match kind {
            Some(K::Purchase) => t(lang, Key::BecauseBought),
            Some(K::AddToCart) => t(lang, Key::BecauseCarted),
            Some(K::Like) => t(lang, Key::BecauseLiked),
            Some(K::Rate) => t(lang, Key::BecauseRated),
            Some(K::SearchHit) => t(lang, Key::BecauseSearched),
            _ => t(lang, Key::BecauseViewed),
        };
        return Some(fill(template, &isolated(items).join(and(lang))));
    }
    (!interests.is_empty()).then(|| {
        tf(
            lang,
            Key::BecausePicked,
            &isolated(interests).join(list_sep(lang)),
        )
    })
}

/// Each name between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: a right-to-left title (or
/// one holding a hostile RIGHT-TO-LEFT OVERRIDE) then reads right inside its own span and cannot
/// reorder the sentence around it (Unicode bidi, UAX #9, isolates).
fn isolated(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| format!("\u{2068}{n}\u{2069}"))
        .collect()
}

/// The label for an item that is not simply in stock ("Out of stock", "Pre-order", "Ships
/// later"); `None` for one that is.
pub fn stock(lang: Lang, availability: tastebud_core::Availability) -> Option<&'static str> {
    use tastebud_core::Availability;
    match availability {
        Availability::InStock => None,
        Availability::OutOfStock => Some(t(lang, Key::OutOfStock)),
        Availability::Preorder => Some(t(lang, Key::Preorder)),
        Availability::Backorder => Some(t(lang, Key::Backorder)),
    }
}

/// A price with the currency's symbol.
pub fn price(amount: f64, currency: &str) -> String {
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "CNY" | "JPY" => "¥",
        _ => return format!("{amount:.2} {currency}"),
    };
    format!("{symbol}{amount:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_and_placeholders_match() {
        let keys = [
            Key::BecauseLiked,
            Key::BecauseBought,
            Key::BecauseCarted,
            Key::BecauseRated,
            Key::BecauseViewed,
            Key::BecauseSearched,
            Key::BecausePicked,
            Key::LedBy,
            Key::Rate,
            Key::StoredInteractions,
            Key::Recovered,
            Key::DamagedKept,
            Key::LoadFailed,
            Key::ResultsFor,
            Key::Open,
        ];
        for k in keys {
            assert!(
                t(Lang::En, k).contains("{}") && t(Lang::Zh, k).contains("{}"),
                "{k:?}"
            );
        }
        assert_ne!(t(Lang::En, Key::ForYou), t(Lang::Zh, Key::ForYou));
        assert_eq!(Lang::from_tag("zh-TW"), Lang::Zh);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(price(3.5, "EUR"), "€3.50");
        let kettle = ["Kettle".to_string()];
        assert_eq!(
            because(Lang::En, Some(tastebud_core::EventKind::View), &kettle, &[]).unwrap(),
            "Because you looked at \u{2068}Kettle\u{2069}"
        );
        assert_eq!(
            because(Lang::En, Some(tastebud_core::EventKind::Like), &kettle, &[]).unwrap(),
            "Because you liked \u{2068}Kettle\u{2069}"
        );
        assert_eq!(
            because(Lang::Zh, None, &[], &["茶".into(), "滑雪".into()]).unwrap(),
            "因为你选择了\u{2068}茶\u{2069}、\u{2068}滑雪\u{2069}"
        );
        // A right-to-left override in a title ends with the title.
        let hostile = ["\u{202e}Kettle".to_string(), "Mug".to_string()];
        let text = because(
            Lang::En,
            Some(tastebud_core::EventKind::Like),
            &hostile,
            &[],
        )
        .unwrap();
        assert_eq!(
            text,
            "Because you liked \u{2068}\u{202e}Kettle\u{2069} and \u{2068}Mug\u{2069}"
        );
        assert_eq!(because(Lang::En, None, &[], &[]), None);
    }
}
