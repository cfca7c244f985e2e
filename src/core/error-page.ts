/**
 * GOV.UK's branded "service unavailable" page, served when no backend can
 * answer. Self-contained (no images, fonts or scripts): everything else may be down.
 */
export const RETRY_AFTER_SECONDS = 30;

export const ERROR_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Sorry, there is a problem with the service - GOV.UK</title>
<style>
body{margin:0;font-family:Arial,sans-serif;color:#0b0c0c;background:#fff;line-height:1.3}
.header{background:#0b0c0c;border-bottom:10px solid #1d70b8;padding:10px 0}
.wrap{max-width:960px;margin:0 15px}
@media(min-width:40.0625em){.wrap{margin:0 30px}}
@media(min-width:1020px){.wrap{margin:0 auto}}
.logo{color:#fff;font-weight:700;font-size:30px;text-decoration:none;letter-spacing:-1px}
main{padding:40px 0}
h1{font-size:36px;margin:0 0 30px}
p{font-size:19px;margin:0 0 20px}
a{color:#1d70b8}
</style>
</head>
<body>
<header class="header"><div class="wrap"><a class="logo" href="https://www.gov.uk/">GOV.UK</a></div></header>
<div class="wrap">
<main id="content">
<h1>Sorry, there is a problem with the service</h1>
<p>The page you asked for is temporarily unavailable. Please try again in a few minutes.</p>
<p>If you need help urgently, you can find contact details for government departments on <a href="https://www.gov.uk/government/organisations">GOV.UK</a>.</p>
</main>
</div>
</body>
</html>
`;
