// Small progressive enhancements; every page also works as plain forms and links.
document.documentElement.classList.remove('no-js');
(function () {
    // htmx requests carry the antiforgery token as a header (forms also carry it as a field).
    document.addEventListener('htmx:config:request', function (event) {
        var meta = document.querySelector('meta[name="request-verification-token"]');
        var request = event.detail && event.detail.ctx && event.detail.ctx.request;
        if (meta && request && request.headers) {
            request.headers['RequestVerificationToken'] = meta.content;
        }
    });

    // Changing a step's type or action redraws its parameter fields from the catalog.
    document.addEventListener('change', function (event) {
        var select = event.target;
        if (!(select instanceof HTMLSelectElement) || !select.hasAttribute('data-refresh') || !select.form) {
            return;
        }
        var refresh = select.form.querySelector('button[value="refresh"]');
        select.form.requestSubmit(refresh || undefined);
    });
})();
