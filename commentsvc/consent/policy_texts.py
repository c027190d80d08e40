"""The built-in version 1 of each policy document, in force until an admin publishes one.

They describe what the service itself does, so a fresh installation has honest
documents to link from sign-up and the banner. Admins replace them from
/admin/policies; the replacement becomes version 2.
"""

from __future__ import annotations

PRIVACY = """\
This service hosts reader accounts and comment threads for the news sites that embed it.

# What we store

- **Your account**: e-mail address, display name, a hash of your password (never the
  password itself), your language, and when you signed up and last changed your password.
- **Your comments and votes**, with their dates.
- **Sessions**: one record per signed-in browser, with its browser name, so you can see
  where you are signed in and sign out everywhere.
- **Your acceptances** of these documents, with their versions and dates.
- **Cookie choices** made on the banner of a site that uses ours: a random consent ID,
  the choice, the time, the first part of the IP address (the last part is never stored)
  and the browser family. They prove what was chosen, and are deleted after the retention
  period the site sets.

# What we do not do

We do not sell data, show advertising or use third-party trackers. Reading comments needs
no account and sets no cookie.

# Your rights

On your account page you can download all your data as JSON, correct it, and delete your
account. When you delete your account, your comments stay in their threads without your
name, so that replies keep their place.
"""

TERMS = """\
These terms apply when you create an account and comment.

# Your account

Give a working e-mail address and keep your password to yourself. One person, one account.

# Comments

- Be civil. No insults, harassment, hate speech, threats, spam or unlawful content.
- You keep the rights to what you write; you allow the sites to show it under their
  articles.
- Moderators may hold, reject or remove comments, and suspend accounts, that break
  these rules.

# Changes

When these terms change we show you what changed and ask you to accept the new version
before you comment again. You can always read earlier versions.
"""

COOKIES = """\
# Cookies this service sets

This service sets only cookies that are strictly necessary, and none at all while you only
read comments.

| Cookie | Purpose | Lifetime |
|---|---|---|
| `commentsvc_session` | keeps you signed in on this service | the browser session |
| `commentsvc_remember` | keeps you signed in ("Remember me") | 30 days |
| `commentsvc_embed` | keeps you signed in inside a site's widget | the browser session |

# Cookies on the news sites

A site that shows our consent banner keeps your choice in a cookie named
`commentsvc_consent` on its own domain, holding a random consent ID, the revision of the
site's settings and the categories you allowed. Any other cookie is the site's, listed by
category in its banner, and is set only after you allow that category. You can change
your choice at any time with the site's "Cookie settings" link.
"""

BUILTIN = {"privacy": PRIVACY, "terms": TERMS, "cookies": COOKIES}
