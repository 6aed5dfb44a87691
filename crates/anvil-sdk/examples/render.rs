//! Renders one prompt the way an application would.
//!
//!     ANVIL_URL=http://127.0.0.1:4000 ANVIL_API_KEY=ank_live_... \
//!       cargo run -p anvil-sdk --example render -- support/emails@production/welcome '{"customer_name":"Ada"}'
//!
//! With `ANVIL_FALLBACK=prompts.bundle.json` (a bundle from `GET /projects/{id}/bundle`), it
//! keeps working when the forge is down, and says so.

use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let address = args
        .next()
        .ok_or("usage: render ADDRESS [VARIABLES_JSON]")?;
    let variables: serde_json::Value = match args.next() {
        Some(v) => serde_json::from_str(&v)?,
        None => serde_json::json!({}),
    };
    let mut builder = anvil_sdk::Client::builder()
        .base_url(std::env::var("ANVIL_URL").unwrap_or_else(|_| "http://127.0.0.1:4000".into()))
        .api_key(std::env::var("ANVIL_API_KEY")?)
        .cache_ttl(Duration::from_secs(60));
    if let Ok(bundle) = std::env::var("ANVIL_FALLBACK") {
        builder = builder.fallback_bundle(bundle);
    }
    let anvil = builder.build()?;
    let rendered = anvil.render(&address, variables).await?;
    println!("{}", rendered.text);
    eprintln!(
        "{address}: version {}{}",
        rendered.resolved_version,
        if rendered.is_fallback {
            " (fallback: the forge could not be reached)"
        } else {
            ""
        }
    );
    Ok(())
}
