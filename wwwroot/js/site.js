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

    // A failed request leaves the page as it was (see htmx-config noSwap) and says so in the banner.
    function showRequestError(text) {
        var banner = document.getElementById('request-error');
        if (banner) {
            banner.textContent = text;
            banner.hidden = false;
        }
    }
    document.addEventListener('htmx:response:error', function (event) {
        var response = event.detail && event.detail.ctx && event.detail.ctx.response;
        var status = response ? response.status : 0;
        showRequestError(status >= 500
            ? 'The server failed to handle that (error ' + status + '); your changes are still here. Try again.'
            : 'The server refused that (error ' + status + '); reload the page and try again.');
    });
    document.addEventListener('htmx:error', function () {
        showRequestError('The server could not be reached; your changes are still here. Try again.');
    });
    document.addEventListener('htmx:before:request', function () {
        var banner = document.getElementById('request-error');
        if (banner) {
            banner.hidden = true;
        }
    });

    // A chooser that loads its page as soon as a choice is made (its button does the same without script).
    document.addEventListener('change', function (event) {
        var select = event.target;
        if (select instanceof HTMLSelectElement && select.hasAttribute('data-autosubmit') && select.form) {
            select.form.requestSubmit();
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

    // A copy button puts its field's text (a webhook URL) on the clipboard.
    document.addEventListener('click', function (event) {
        var button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
        var field = button ? document.querySelector(button.getAttribute('data-copy')) : null;
        if (!field) {
            return;
        }
        var done = function () { button.textContent = 'Copied'; };
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(field.value).then(done);
        } else {
            field.select();
            document.execCommand('copy');
            done();
        }
    });
    // Steps reorder by drag and drop (SortableJS), and the palette's types drop in as new steps. A drop submits the
    // editor form with the move or insert as its command, exactly as the ↑ ↓ and Insert buttons do, so the server
    // redraws the editor and every path also works from the keyboard and without script.
    function enableDragAndDrop() {
        if (typeof Sortable === 'undefined') {
            return;
        }
        document.querySelectorAll('[data-sortable]:not([data-sortable-ready])').forEach(function (list) {
            list.setAttribute('data-sortable-ready', '');
            var form = list.closest('form');
            var move = form && form.querySelector('#cmd-move');
            var insert = form && form.querySelector('#cmd-insert');
            if (!move || !insert) {
                return;
            }
            Sortable.create(list, {
                handle: '.drag-handle', draggable: 'li', forceFallback: true, animation: 120,
                group: { name: 'steps', put: ['palette'] },
                onEnd: function (event) {
                    if (event.to === list && event.oldIndex !== event.newIndex) {
                        move.value = 'move-' + event.oldIndex + '-' + event.newIndex;
                        form.requestSubmit(move);
                    }
                },
                onAdd: function (event) {
                    var at = 0;
                    for (var sibling = event.item.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
                        at++;
                    }
                    form.querySelector('#palette-type').value = event.item.getAttribute('data-step-type');
                    form.querySelector('#palette-at').value = String(at);
                    event.item.remove();
                    form.requestSubmit(insert);
                }
            });
            var palette = form.querySelector('[data-palette]');
            if (palette) {
                Sortable.create(palette, { group: { name: 'palette', pull: 'clone', put: false }, sort: false, forceFallback: true, animation: 120 });
            }
        });
    }
    document.addEventListener('DOMContentLoaded', enableDragAndDrop);
    document.addEventListener('htmx:after:settle', enableDragAndDrop);
})();
