"""The administrators' web console: sign-in, the session, CSRF and the one layout every capability's
pages use. Capabilities add pages (a Powertools router and templates under `templates/console/`) and
a navigation entry (`shared.console.pages.NAV`); they never copy the layout or the checks."""
