//! Whole user journeys several test files take the same way: a company finds a patent and enquires
//! about it, an admin invites an institution's contact. Every step presses only buttons offered.
#![allow(dead_code)]

use super::app::{ADMIN, TestApp, text_of};

/// A need whose first result in the demo catalogue is a battery patent.
pub const NEED: &str = "锂电池硅基负极循环衰减快，有没有改进方案";

/// `company` finds [`NEED`]'s first result and opens it; returns the owning institution.
pub async fn find(t: &mut TestApp, company: i64) -> String {
    t.say(company, "/start").await;
    t.press(company, "中文").await;
    t.say(company, NEED).await;
    for _ in 0..3 {
        t.say(company, "1").await;
    }
    t.press(company, "跳过").await;
    let details = text_of(&t.press(company, "详情 1").await);
    details
        .lines()
        .find_map(|l| l.strip_prefix("权利人："))
        .and_then(|l| l.split('（').next())
        .unwrap_or_else(|| panic!("{details}"))
        .to_owned()
}

/// `company` enquires about the open result, consents, and the enquiry goes out; returns its id.
pub async fn enquire(t: &mut TestApp, company: i64) -> i64 {
    let sent = t.press(company, "我想咨询这项专利").await;
    if text_of(&sent).contains("个人信息说明") {
        t.press(company, "知道了，继续").await;
    }
    t.say(company, "重庆某某电池有限公司").await;
    t.say(company, "张三").await;
    t.say(company, "+86 138 0000 0000").await;
    t.say(company, "想用于动力电池负极，年产 500 吨").await;
    let deal = t.sent_to(company).pop().unwrap().buttons[0].1.clone();
    t.press(company, &deal).await;
    t.press(company, "同意发送").await;
    sqlx::query_scalar("SELECT max(id) FROM enquiries")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

/// An admin's `/invite INSTITUTION`; returns the code from the reply.
pub async fn invite(t: &mut TestApp, institution: &str) -> String {
    let reply = text_of(&t.say(ADMIN, &format!("/invite {institution}")).await);
    reply
        .split("邀请码：")
        .nth(1)
        .and_then(|rest| rest.split('（').next())
        .unwrap_or_else(|| panic!("{reply}"))
        .to_owned()
}
