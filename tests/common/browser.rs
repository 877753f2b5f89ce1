//! A real browser for tests: Debian's chromium, headless, driven over WebDriver (fantoccini) through its
//! own chromedriver on a free port, with a fresh profile in a temporary directory. The [`Browser`] does
//! what a person does — opens links, presses the buttons the page shows (by their label), types into
//! fields (by their `name`), follows links (by their text) — and waits for every page with a generous
//! timeout rather than for a fixed time, so a loaded 2-core machine is only slower, never flaky.
//!
//! chromedriver (and the browser it started) is killed when the [`Browser`] is dropped, also when the test
//! panics. A machine without chromedriver fails the test with what to install: it is never skipped.
//!
//! `QUEQIAO_SCREENSHOTS=1` makes [`Browser::screenshot`] write `docs/screenshots/NAME.png` (for the
//! README); otherwise it writes nothing, so normal runs leave the tree clean. Screenshots of the Chinese
//! pages need a CJK font (Debian: `fonts-wqy-zenhei`); the tests themselves do not.
#![allow(dead_code)]

use super::free_port;
use super::web::Console;
use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a page or an element may take to appear: generous, for a noisy 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(60);
/// How long chromedriver and chromium may take to start.
const START_PATIENCE: Duration = Duration::from_secs(120);
/// How often a wait looks again (polling, as fantoccini's own waits do).
const POLL: Duration = Duration::from_millis(100);
/// How long chromedriver may take to quit with its browser before both are killed.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(15);

/// The chromedriver to run: `CHROMEDRIVER` if set, else the one on `PATH`.
fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned())
}

/// A headless chromium behind its own chromedriver; see the module's docs.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// chromedriver's port on 127.0.0.1.
    port: u16,
    /// The browser's profile and chromedriver's log; removed after the processes are killed.
    dir: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver's own shutdown ends the browser and waits for its processes (a session that is
        // dropped, or whose test panicked, is never closed otherwise). Whatever is left of chromedriver's
        // process group is then killed.
        shutdown(self.port);
        let started = Instant::now();
        while started.elapsed() < SHUTDOWN_PATIENCE {
            if let Ok(Some(_)) = self.driver.try_wait() {
                break;
            }
            std::thread::sleep(POLL);
        }
        let group = self.driver.id() as libc::pid_t;
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Asks the chromedriver on `port` to quit (a blocking `GET /shutdown`: this runs in `Drop`).
fn shutdown(port: u16) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(SHUTDOWN_PATIENCE));
    let request =
        format!("GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

impl std::ops::Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// Starts chromedriver on `port`, in a process group of its own, logging into `dir`.
fn spawn_driver(port: u16, dir: &std::path::Path) -> Child {
    let path = chromedriver_path();
    Command::new(&path)
        .arg(format!("--port={port}"))
        .arg(format!(
            "--log-path={}",
            dir.join("chromedriver.log").display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{path}` ({e}): the browser tests need Debian's chromium and \
                 chromium-driver; install them with `apt-get install -y chromium chromium-driver` \
                 (.ci/run does), or set CHROMEDRIVER to a chromedriver binary"
            )
        })
}

/// What chromedriver logged, for a failure message.
fn driver_log(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default()
}

/// The capabilities of a headless chromium with the profile in `dir`: no sandbox (CI runs as root), no
/// first-run pages, no background traffic to anywhere.
fn capabilities(dir: &std::path::Path) -> serde_json::Map<String, serde_json::Value> {
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-gpu".to_owned(),
        "--window-size=1200,900".to_owned(),
        format!("--user-data-dir={}", dir.join("profile").display()),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-default-apps".to_owned(),
        "--disable-extensions".to_owned(),
        "--disable-breakpad".to_owned(),
        "--disable-crash-reporter".to_owned(),
        "--disable-features=Translate,MediaRouter,OptimizationHints".to_owned(),
        "--lang=zh-CN".to_owned(),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({ "args": args }),
    );
    caps
}

impl Browser {
    /// A fresh headless chromium; the test fails (with what to install) without chromedriver.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut last_error = String::new();
        // Another process may take the free port before chromedriver does: try a few.
        for _ in 0..3 {
            let port = free_port();
            let mut driver = spawn_driver(port, dir.path());
            match Self::connect(&mut driver, port, dir.path()).await {
                Ok(client) => {
                    return Self {
                        client,
                        driver,
                        port,
                        dir,
                    };
                }
                Err(e) => {
                    last_error = e;
                    unsafe {
                        libc::kill(-(driver.id() as libc::pid_t), libc::SIGKILL);
                    }
                    let _ = driver.wait();
                }
            }
        }
        panic!(
            "chromedriver did not give a browser: {last_error}\nits log:\n{}",
            driver_log(dir.path())
        );
    }

    /// Waits for chromedriver on `port` to answer, then opens a session.
    async fn connect(
        driver: &mut Child,
        port: u16,
        dir: &std::path::Path,
    ) -> Result<Client, String> {
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = driver.try_wait() {
                return Err(format!("chromedriver exited at once ({status})"));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if started.elapsed() > START_PATIENCE {
                return Err(format!("chromedriver did not listen on {url}"));
            }
            tokio::time::sleep(POLL).await;
        }
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(capabilities(dir));
        match tokio::time::timeout(START_PATIENCE, builder.connect(&url)).await {
            Ok(client) => client.map_err(|e| format!("no browser session: {e}")),
            Err(_) => Err(format!("no browser session within {START_PATIENCE:?}")),
        }
    }

    /// Opens `url`, waiting for the page.
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        self.loaded().await;
    }

    /// Waits until the page has loaded.
    async fn loaded(&self) {
        self.until("the page to load", || async {
            let state = self
                .client
                .execute("return document.readyState", vec![])
                .await?;
            Ok((state == "complete").then_some(()))
        })
        .await
    }

    /// Polls `check` until it gives a value, for up to [`PATIENCE`]; the test fails naming `what` it
    /// waited for, with the page it was on.
    pub async fn until<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, CmdError>>,
    {
        let started = Instant::now();
        loop {
            match check().await {
                Ok(Some(value)) => return value,
                Ok(None) => {}
                // The page changed under the check: look again on the new one.
                Err(CmdError::Standard(e)) if page_changed(&e) => {}
                Err(e) => panic!("while waiting for {what}: {e}\n{}", self.describe().await),
            }
            if started.elapsed() > PATIENCE {
                panic!(
                    "waited {PATIENCE:?} for {what} in vain\n{}",
                    self.describe().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Where the browser is and what it shows, for failure messages.
    pub async fn describe(&self) -> String {
        let url = self.client.current_url().await.map(|u| u.to_string());
        format!(
            "at {}, the page reads:\n{}",
            url.unwrap_or_else(|e| format!("(no URL: {e})")),
            self.try_text().await.unwrap_or_default()
        )
    }

    async fn try_text(&self) -> Result<String, CmdError> {
        self.client.find(Locator::Css("body")).await?.text().await
    }

    /// The text the page shows (as a person reads it: no markup, hidden fields left out).
    pub async fn text(&self) -> String {
        self.until("the page's text", || async {
            self.try_text().await.map(Some)
        })
        .await
    }

    /// Waits until the page shows `text`; returns everything it shows.
    pub async fn wait_for_text(&self, text: &str) -> String {
        self.until(&format!("the page to show {text:?}"), || async {
            let shown = self.try_text().await?;
            Ok(shown.contains(text).then_some(shown))
        })
        .await
    }

    /// The path of the page shown (`/web/leads/3`), without the query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        url.path().to_owned()
    }

    /// The one element `locator` finds, waiting for it; the test fails if there are several.
    async fn the_one(&self, what: &str, locator: Locator<'_>) -> Element {
        self.until(what, || async {
            let mut found = self.client.find_all(locator).await?;
            match found.len() {
                0 => Ok(None),
                1 => Ok(found.pop()),
                n => panic!("{n} elements are {what}\n{}", self.describe().await),
            }
        })
        .await
    }

    /// Does `act` (a click) and waits until the browser shows the page it led to: the old page's
    /// `<html>` is gone and the new one has loaded.
    async fn navigating<Fut>(&self, what: &str, act: Fut)
    where
        Fut: Future<Output = Result<(), CmdError>>,
    {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        act.await.unwrap_or_else(|e| panic!("cannot {what}: {e}"));
        self.gone(&old, &format!("the page after {what}")).await;
        self.loaded().await;
    }

    /// Waits until `old` is no longer on the page (the browser went to another).
    async fn gone(&self, old: &Element, what: &str) {
        self.until(what, || async {
            match old.tag_name().await {
                // Stale, or in Chromium's words "does not belong to the document": gone.
                Err(CmdError::Standard(e)) if page_changed(&e) => Ok(Some(())),
                Err(e) => Err(e),
                Ok(_) => Ok(None),
            }
        })
        .await;
    }

    /// Presses the button labelled `label` (the only one on the page) and waits for the page it leads to.
    pub async fn click_button(&self, label: &str) {
        let what = format!("the button {label:?}");
        let xpath = format!("//button[normalize-space()={}]", xpath_literal(label));
        let button = self.the_one(&what, Locator::XPath(&xpath)).await;
        self.navigating(&format!("press {what}"), button.click())
            .await;
    }

    /// Follows the link reading `text` (the only one) and waits for its page.
    pub async fn click_link(&self, text: &str) {
        let what = format!("the link {text:?}");
        let link = self.the_one(&what, Locator::LinkText(text)).await;
        self.navigating(&format!("follow {what}"), link.click())
            .await;
    }

    /// Types `value` into the field named `name` (the only one on the page), replacing what it held.
    pub async fn fill(&self, name: &str, value: &str) {
        let css = format!("[name=\"{name}\"]");
        let field = self
            .the_one(&format!("the field {name:?}"), Locator::Css(&css))
            .await;
        type_into(&field, value).await;
    }

    /// Types `value` into the field named `name` of the form whose button reads `button` (for pages with
    /// several forms that have a field of that name).
    pub async fn fill_in(&self, button_label: &str, name: &str, value: &str) {
        let xpath = format!(
            "//form[.//button[normalize-space()={}]]//*[@name={}]",
            xpath_literal(button_label),
            xpath_literal(name)
        );
        let what = format!("the field {name:?} of the form of {button_label:?}");
        let field = self.the_one(&what, Locator::XPath(&xpath)).await;
        type_into(&field, value).await;
    }

    /// Replaces `old` in the text field named `name` (the only one) with `new`, as a person does: selects
    /// `old` (its first occurrence) and types over it; the rest of the field is left as it was.
    pub async fn replace_in(&self, name: &str, old: &str, new: &str) {
        let css = format!("[name=\"{name}\"]");
        let field = self
            .the_one(&format!("the field {name:?}"), Locator::Css(&css))
            .await;
        // Focused and selected here, typing replaces the selection (WebDriver moves the caret to the
        // end only of a field that was not focused).
        let js = "const [f, old] = arguments; const at = f.value.indexOf(old); \
                  if (at < 0) return false; f.focus(); f.setSelectionRange(at, at + old.length); return true;";
        let args = vec![serde_json::to_value(&field).unwrap(), old.into()];
        let found = self.client.execute(js, args).await.unwrap();
        assert_eq!(
            found,
            true,
            "the field {name:?} holds no {old:?}\n{}",
            self.describe().await
        );
        field.send_keys(new).await.unwrap();
    }

    /// Picks the option reading `option` in the drop-down named `name` (the only one).
    pub async fn select(&self, name: &str, option: &str) {
        let css = format!("select[name=\"{name}\"]");
        let field = self
            .the_one(&format!("the drop-down {name:?}"), Locator::Css(&css))
            .await;
        field
            .select_by_label(option)
            .await
            .unwrap_or_else(|e| panic!("cannot pick {option:?} in {name:?}: {e}"));
    }

    /// The labels of the radio buttons named `name`, in order.
    pub async fn choices(&self, name: &str) -> Vec<String> {
        let xpath = format!(
            "//label[.//input[@type='radio' and @name={}]]",
            xpath_literal(name)
        );
        self.until(&format!("the choices of {name:?}"), || async {
            let mut labels = Vec::new();
            for l in self.client.find_all(Locator::XPath(&xpath)).await? {
                labels.push(l.text().await?.trim().to_owned());
            }
            Ok((!labels.is_empty()).then_some(labels))
        })
        .await
    }

    /// Picks the radio button whose label reads `label` (the only one), as a click on its label does.
    pub async fn choose(&self, label: &str) {
        let xpath = format!(
            "//label[normalize-space()={}][.//input[@type='radio']]",
            xpath_literal(label)
        );
        let what = format!("the choice {label:?}");
        let choice = self.the_one(&what, Locator::XPath(&xpath)).await;
        choice.click().await.unwrap();
        let radio = choice
            .find(Locator::Css("input[type=radio]"))
            .await
            .unwrap();
        self.until(&format!("{what} to be picked"), || async {
            Ok(radio.is_selected().await?.then_some(()))
        })
        .await;
    }

    /// The labels of the buttons the page shows, in order.
    pub async fn buttons(&self) -> Vec<String> {
        self.until("the page's buttons", || async {
            let mut labels = Vec::new();
            for b in self.client.find_all(Locator::Css("button")).await? {
                labels.push(b.text().await?);
            }
            Ok(Some(labels))
        })
        .await
    }

    /// The text of the table row (`<tr>`) one of whose cells reads `cell` (the only such row).
    pub async fn row_with(&self, cell: &str) -> String {
        let xpath = format!("//tr[td[normalize-space()={}]]", xpath_literal(cell));
        let row = self
            .the_one(&format!("the row of {cell:?}"), Locator::XPath(&xpath))
            .await;
        row.text().await.unwrap()
    }

    /// Loads the page again (what others did meanwhile shows).
    pub async fn reload(&self) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.client.refresh().await.unwrap();
        self.gone(&old, "the page to reload").await;
        self.loaded().await;
    }

    /// Opens the one-time sign-in `link` (as from the chat's `/web`) and presses its sign-in button;
    /// waits for the page it leads to. `shot`: the name to take the sign-in page's screenshot as.
    pub async fn sign_in(&self, link: &str, shot: Option<&str>) {
        self.open(link).await;
        // The sign-in button is the page's only button (nobody is signed in yet: no header forms).
        let label = self
            .the_one("the sign-in button", Locator::Css("button"))
            .await;
        let label = label.text().await.unwrap();
        if let Some(name) = shot {
            self.screenshot(name).await;
        }
        self.click_button(&label).await;
    }

    /// With `QUEQIAO_SCREENSHOTS=1`: the whole page, as high as its content (not the window), as
    /// `docs/screenshots/NAME.png`; otherwise nothing.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var("QUEQIAO_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        // A page taller than the window is cut at the window's edge: make the window as tall as the page.
        let (width, height) = self.client.get_window_size().await.unwrap();
        let js = "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]";
        let sizes = self.client.execute(js, vec![]).await.unwrap();
        let need = sizes[0].as_u64().unwrap() + sizes[1].as_u64().unwrap();
        if need > height {
            self.client
                .set_window_size(width as u32, need as u32)
                .await
                .unwrap();
        }
        let page = self.client.find(Locator::Css("html")).await.unwrap();
        let png = page.screenshot().await.unwrap();
        if need > height {
            self.client
                .set_window_size(width as u32, height as u32)
                .await
                .unwrap();
        }
        save_screenshot(name, &png);
    }

    /// [`Browser::screenshot`] of the window only (1200×900): the top of a page too long to show whole
    /// (a script's every line, an institution's every patent).
    pub async fn screenshot_top(&self, name: &str) {
        if std::env::var("QUEQIAO_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        self.client
            .execute("window.scrollTo(0, 0)", vec![])
            .await
            .unwrap();
        let png = self.client.screenshot().await.unwrap();
        save_screenshot(name, &png);
    }
}

/// Writes `docs/screenshots/NAME.png`.
fn save_screenshot(name: &str, png: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn type_into(field: &Element, value: &str) {
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// A browser signed in as `chat`: the chat sends `/web`, the browser opens the link and presses the
/// sign-in button (it then shows the leads for a contact, the admin's home for an admin).
pub async fn signed_in(c: &mut Console, chat: i64) -> Browser {
    let link = c.link(chat).await;
    let b = Browser::start().await;
    b.sign_in(&link, None).await;
    b
}

/// `text` as an XPath string literal (XPath 1.0 has no escapes: quotes need `concat`).
fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}

/// Whether a WebDriver error only says that the page changed while it was being read: a stale element,
/// or Chromium's own words for it ("Node with given id does not belong to the document", a script whose
/// page unloaded), seen on a slow machine while a form's answer loads.
fn page_changed(e: &fantoccini::error::WebDriver) -> bool {
    matches!(
        e.error,
        ErrorStatus::StaleElementReference | ErrorStatus::NoSuchElement
    ) || {
        let m = e.message.to_string();
        m.contains("does not belong to the document")
            || m.contains("Execution context was destroyed")
            || m.contains("unloaded")
    }
}
