//! What the bench binaries share: where the scratch databases go, numeric settings, medians.
#![allow(dead_code)]

/// The PostgreSQL server (the URL of `DATABASE_URL` without its database) to make scratch databases on.
pub fn server() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    url.rsplit_once('/')
        .map(|(s, _)| s.to_owned())
        .unwrap_or(url)
}

/// A numeric setting from the environment, or its default.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The median (the upper one of an even count).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
