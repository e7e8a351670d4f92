//! One file per component.

mod browse;
mod category_page;
mod for_you;
mod header;
mod home;
mod interests;
mod item_card;
mod item_page;
mod notices;
mod onboarding;
mod picture;
mod privacy;
mod search_page;
mod shop_lists;

pub use category_page::CategoryPage;
pub use header::Header;
pub use home::HomePage;
pub use item_card::ItemCard;
pub use item_page::ItemPage;
pub use notices::{answer as answer_consent, ConsentPrompt, Notices};
pub use privacy::PrivacyPanel;
pub use search_page::SearchPage;
