//! Optional e-mail over SMTP (`QUIRE_SMTP_URL`, `QUIRE_MAIL_FROM`): invitations and password
//! reset links. Without an SMTP server nothing is sent and the admin shows the links instead.
//!
//! Each message is plain text with a simple HTML alternative, rendered from the templates in
//! `templates/` (embedded at compile time; the HTML ones are autoescaped).

use std::sync::LazyLock;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use tera::Tera;

use crate::config::{MailConfig, SmtpSecurity};

/// How long one message may take to send, connection and all. Kept well under the request
/// timeout, so that an admin waiting for an invitation hears back about a slow server.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends e-mail through the configured SMTP server. One connection per message: a blog sends
/// a handful a day.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a message was not sent. The details are for the log; people are told only that the
/// e-mail could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail server did not answer within {} seconds", SEND_TIMEOUT.as_secs())]
    Timeout,
    #[error("the message could not be made")]
    Build(#[source] lettre::error::Error),
    #[error("the address cannot receive e-mail")]
    Address(#[source] lettre::address::AddressError),
    #[error("the mail server could not be reached or refused the message")]
    Smtp(#[source] lettre::transport::smtp::Error),
    #[error("the message could not be made")]
    Template(#[source] tera::Error),
}

impl Mailer {
    /// The mailer of the configuration, or `None` when no SMTP server is set. Fails on what
    /// only a build can tell (the TLS set-up); the URL itself was checked while parsing.
    pub fn from_config(config: &MailConfig) -> anyhow::Result<Option<Self>> {
        let Some(url) = config.smtp()? else {
            return Ok(None);
        };
        let from = config
            .mail_from
            .clone()
            .ok_or_else(|| anyhow::anyhow!("QUIRE_SMTP_URL needs QUIRE_MAIL_FROM"))?;
        let tls = || TlsParameters::new(url.host.clone());
        let tls = match url.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls()?),
            SmtpSecurity::StartTlsRequired => Tls::Required(tls()?),
            SmtpSecurity::StartTlsOpportunistic => Tls::Opportunistic(tls()?),
            SmtpSecurity::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(SEND_TIMEOUT));
        if let Some((user, password)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends `letter` to `to` (with the recipient's name when known), within [`SEND_TIMEOUT`].
    #[tracing::instrument(skip_all, fields(subject = %letter.subject))]
    pub async fn send(
        &self,
        to: &str,
        name: Option<&str>,
        letter: Letter,
    ) -> Result<(), MailError> {
        let to = Mailbox::new(
            name.map(str::to_owned),
            to.parse().map_err(MailError::Address)?,
        );
        // the sender's domain names the message, as spam filters expect, not this machine
        let message_id = format!(
            "<{}@{}>",
            uuid::Uuid::new_v4().simple(),
            self.from.email.domain()
        );
        let message = Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject)
            .multipart(MultiPart::alternative_plain_html(letter.text, letter.html))
            .map_err(MailError::Build)?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(MailError::Smtp(e)),
            Err(_) => Err(MailError::Timeout),
        }
    }
}

/// A message's subject and its two bodies.
#[derive(Debug)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

static TEMPLATES: LazyLock<Result<Tera, String>> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.add_raw_templates([
        ("layout.html", include_str!("templates/layout.html")),
        ("invitation.txt", include_str!("templates/invitation.txt")),
        ("invitation.html", include_str!("templates/invitation.html")),
        ("reset.txt", include_str!("templates/reset.txt")),
        ("reset.html", include_str!("templates/reset.html")),
    ])
    .map_err(|e| e.to_string())?;
    Ok(tera)
});

fn render(name: &str, context: &impl Serialize) -> Result<(String, String), MailError> {
    let tera = TEMPLATES
        .as_ref()
        .map_err(|e| MailError::Template(tera::Error::msg(e.clone())))?;
    let context = tera::Context::from_serialize(context).map_err(MailError::Template)?;
    let text = tera
        .render(&format!("{name}.txt"), &context)
        .map_err(MailError::Template)?;
    let html = tera
        .render(&format!("{name}.html"), &context)
        .map_err(MailError::Template)?;
    Ok((text, html))
}

/// What the invitation says.
#[derive(Debug, Serialize)]
pub struct Invitation<'a> {
    pub site_title: &'a str,
    pub site_url: &'a str,
    /// Who invited: their name.
    pub inviter: &'a str,
    /// The role offered, as people read it ("Author").
    pub role: &'a str,
    pub link: &'a str,
    /// When the link stops working, as people read it.
    pub expires: &'a str,
}

/// The invitation to join the staff of a site.
pub fn invitation(invitation: &Invitation<'_>) -> Result<Letter, MailError> {
    let (text, html) = render("invitation", invitation)?;
    Ok(Letter {
        subject: format!("You are invited to join {}", invitation.site_title),
        text,
        html,
    })
}

/// What a password reset message says.
#[derive(Debug, Serialize)]
pub struct Reset<'a> {
    pub site_title: &'a str,
    pub site_url: &'a str,
    /// The account's e-mail address.
    pub email: &'a str,
    pub name: &'a str,
    pub link: &'a str,
    pub valid_hours: i32,
    /// The staff member who made the link, or `None` when it was asked for on the sign-in
    /// page.
    pub made_by: Option<&'a str>,
}

/// A password reset link for a staff member.
pub fn reset(reset: &Reset<'_>) -> Result<Letter, MailError> {
    let (text, html) = render("reset", reset)?;
    Ok(Letter {
        subject: format!("Reset your password for {}", reset.site_title),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_names_the_site_and_escapes_its_title_in_html() {
        let letter = invitation(&Invitation {
            site_title: "Tom & <Jerry>",
            site_url: "https://blog.example.com",
            inviter: "Ada",
            role: "Author",
            link: "https://blog.example.com/admin/invite/abc",
            expires: "1 July 2026",
        })
        .unwrap();
        assert_eq!(letter.subject, "You are invited to join Tom & <Jerry>");
        assert!(letter.text.contains("Tom & <Jerry>"), "{}", letter.text);
        assert!(
            letter
                .text
                .contains("https://blog.example.com/admin/invite/abc\n")
        );
        assert!(letter.text.contains("Ada") && letter.text.contains("Author"));
        assert!(
            letter.html.contains("Tom &amp; &lt;Jerry&gt;"),
            "{}",
            letter.html
        );
        assert!(!letter.html.contains("<Jerry>"));
        // autoescaped like every other value, which a mail client reads back as the link
        assert!(
            letter.html.contains(
                r#"href="https:&#x2F;&#x2F;blog.example.com&#x2F;admin&#x2F;invite&#x2F;abc""#
            ),
            "{}",
            letter.html
        );
    }

    #[test]
    fn a_reset_says_who_made_it_or_that_it_was_asked_for() {
        let mut reset_of = Reset {
            site_title: "Blog",
            site_url: "https://blog.example.com",
            email: "ada@example.com",
            name: "Ada",
            link: "https://blog.example.com/admin/reset/abc",
            valid_hours: 72,
            made_by: Some("Grace"),
        };
        let letter = reset(&reset_of).unwrap();
        assert_eq!(letter.subject, "Reset your password for Blog");
        assert!(letter.text.contains("Grace"), "{}", letter.text);
        assert!(letter.text.contains("72 hours"), "{}", letter.text);
        reset_of.made_by = None;
        let letter = reset(&reset_of).unwrap();
        assert!(!letter.text.contains("Grace"));
        assert!(letter.text.contains("ignore this"), "{}", letter.text);
        assert!(letter.html.contains("ignore this"), "{}", letter.html);
    }
}
