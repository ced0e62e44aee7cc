// The sign-in page: the link's token rides in the fragment (never sent to any server);
// put it in the form, and drop it from the address bar and the history.
"use strict";

const field = document.querySelector('input[name="t"]');
const match = /(?:^#|&)t=([^&]+)/.exec(location.hash);
if (match && !field.value) field.value = decodeURIComponent(match[1]);
if (location.hash) history.replaceState(null, "", location.pathname);
