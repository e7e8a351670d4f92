//! Tastebud's web app. Until the storefront lands this is a single page that proves the engine
//! runs in the browser: it trains a small model on a built-in toy log, folds in a visitor and
//! shows the ranking with its explanation, all in WebAssembly.

mod engine_check;

use yew::prelude::*;

pub use engine_check::{run_engine_check, EngineCheck};

/// The app's root component.
#[function_component(App)]
pub fn app() -> Html {
    let check = use_memo((), |_| run_engine_check());
    html! {
        <main>
            <h1>{ "Tastebud" }</h1>
            <p>{ "Private recommendations that run entirely in your browser. \
                  The storefront demo is on its way; below, the engine checks itself in WebAssembly." }</p>
            {
                match &*check {
                    Ok(c) => html! {
                        <section aria-label="Engine check" data-testid="engine-check">
                            <p class="status">{ format!(
                                "Trained {} items x {} factors in the browser; a visitor who liked {} gets:",
                                c.items, c.factors, c.history.join(" and ")
                            ) }</p>
                            <ol data-testid="recommendations">
                                { for c.recommendations.iter().map(|(id, why)| html! {
                                    <li data-item-id={id.clone()}>{ format!("{id}, because you liked {why}") }</li>
                                }) }
                            </ol>
                        </section>
                    },
                    Err(e) => html! { <p class="error" role="alert">{ e.clone() }</p> },
                }
            }
        </main>
    }
}

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
