// The presign result: link, copy button, and a countdown computed in the browser from the
// absolute effective expiry (no kernel round-trip per tick). All text goes in via
// textContent, so nothing from an object key can become markup.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function two(n) {
  return String(n).padStart(2, "0");
}

export function formatLeft(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const clock = h || days ? `${two(h)}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  return days ? `${days} d ${clock}` : clock;
}

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

function isWebUrl(url) {
  return /^https?:\/\//i.test(url);
}

function codeBlock(label, text, testid) {
  const box = el("div", "msc-presign-block");
  box.appendChild(el("div", "msc-presign-label", label));
  const pre = el("pre", "msc-presign-code", text);
  pre.dataset.testid = testid;
  box.appendChild(pre);
  return box;
}

const RECIPE_LABELS = {
  xarray: "Or as an xarray Dataset",
  csv: "Its CSV files as one pandas DataFrame",
  parquet: "Its Parquet files as one pandas DataFrame",
};

function render({ model, el: host }) {
  const root = el("div", "msc-presign");
  host.appendChild(root);
  let countdown = null;
  let again = null;

  function tick() {
    if (!countdown) return;
    const facts = model.get("facts");
    if (facts.revoked || facts.aborted) {
      root.dataset.state = "revoked";
      countdown.textContent = facts.revoked ? "revoked" : "aborted";
      if (again) again.hidden = !model.get("can_sign_again");
      return;
    }
    const now = Date.now();
    const left = facts.effective_expiry_ms - now;
    const lifetime = facts.effective_expiry_ms - facts.signed_at_ms;
    const notYet = facts.not_before_ms && now < facts.not_before_ms;
    let state = "ok";
    if (left <= 0) state = "expired";
    else if (left < 60000 || left < lifetime * 0.1) state = "soon";
    root.dataset.state = state;
    countdown.dataset.secondsLeft = String(Math.floor(left / 1000));
    countdown.textContent = left <= 0 ? "expired" : `${formatLeft(left)} left${notYet ? " (not valid yet)" : ""}`;
    // Offered once the link is dead, or from the start when credentials cut it short.
    if (again) again.hidden = !(model.get("can_sign_again") && (left <= 0 || facts.limited_by_credentials));
  }

  function signAgainButton() {
    const button = el("button", "msc-presign-again", "Sign again");
    button.type = "button";
    button.dataset.testid = "msc-presign-again";
    button.title = "Sign the same request again (same profile, path, method and options)";
    button.hidden = true;
    button.addEventListener("click", () => askKernel(button, "Sign again", "Signing…", "sign-again", 15000));
    return button;
  }

  // Ask the kernel for ``event``: the button says so while waiting. Its answer redraws everything;
  // without one within ``ms`` the kernel is gone or busy, and the button says that.
  function askKernel(button, label, busy, event, ms) {
    button.disabled = true;
    button.textContent = busy;
    model.send({ event });
    setTimeout(() => {
      if (button.isConnected && button.disabled) {
        button.disabled = false;
        button.textContent = `${label} (no answer from the kernel; is it running?)`;
      }
    }, ms);
  }

  function kernelButton(label, busy, event, testid, title) {
    const button = el("button", `msc-presign-action`, label);
    button.type = "button";
    button.dataset.testid = testid;
    button.title = title;
    button.addEventListener("click", () => askKernel(button, label, busy, event, 60000));
    return button;
  }

  // What cannot be undone (Revoke, Abort): the first click arms the button, a second within 5 s acts.
  function confirmButton(label, busy, event, title) {
    const button = el("button", `msc-presign-action msc-presign-${event}`, label);
    button.type = "button";
    button.dataset.testid = `msc-presign-${event}`;
    button.title = title || "";
    let armed = null;
    button.addEventListener("click", () => {
      if (!armed) {
        button.textContent = `${label}: click again to confirm`;
        armed = setTimeout(() => { armed = null; button.textContent = label; }, 5000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      askKernel(button, label, busy, event, 60000);
    });
    return button;
  }

  function draw() {
    const facts = model.get("facts");
    const compact = model.get("compact");
    root.replaceChildren();
    root.classList.toggle("msc-presign-compact", compact);
    root.dataset.testid = "msc-presign-result";

    const head = el("div", "msc-presign-head");
    const badge = { cookies: "COOKIES", share: "SHARE", post: "POST", multipart: "MULTIPART" }[facts.kind] || facts.method;
    const method = el("span", `msc-presign-method msc-presign-${badge.toLowerCase()}`, badge);
    head.appendChild(method);
    const clickable = facts.clickable && isWebUrl(facts.url);  // the kernel decides; the scheme check stays
    const link = el(clickable ? "a" : "span", "msc-presign-link", facts.source);
    link.dataset.testid = "msc-presign-link";
    if (clickable) {
      link.href = facts.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = "Open the presigned URL in a new tab";
    }
    head.appendChild(link);
    head.appendChild(el("span", "msc-presign-signer", facts.signer_type));
    countdown = el("span", "msc-presign-countdown");
    countdown.dataset.testid = "msc-presign-countdown";
    head.appendChild(countdown);
    const copy = el("button", "msc-presign-copy", "Copy URL");
    copy.type = "button";
    copy.dataset.testid = "msc-presign-copy";
    // A multipart upload too long to show its script copies the note that says how to get one.
    const copyValue = { cookies: facts.cookie_header, post: facts.curl, multipart: facts.shell_script || facts.script_note }[facts.kind] || facts.url;
    const copyLabel = { cookies: "Copy cookies", share: "Copy link", post: "Copy curl", multipart: facts.shell_script ? "Copy script" : "Copy note" }[facts.kind] || "Copy URL";
    copy.textContent = copyLabel;
    copy.addEventListener("click", () => {
      copyText(copyValue).then(
        () => { copy.textContent = "Copied"; setTimeout(() => (copy.textContent = copyLabel), 1500); },
        () => { copy.textContent = "Copy failed: select the URL below"; },
      );
    });
    head.appendChild(copy);
    again = signAgainButton();
    head.appendChild(again);
    if (model.get("can_check") && facts.kind !== "cookies") {
      head.appendChild(kernelButton("Check", "Checking…", "check", "msc-presign-check",
        "Fetch it as an anonymous recipient would (from the kernel's machine): does it work, do the clocks agree?"));
    }
    if (facts.manifest_location && !facts.revoked) head.appendChild(confirmButton("Revoke", "Revoking…", "revoke", facts.revoke_note));
    if (facts.abort_url && !facts.aborted) head.appendChild(confirmButton("Abort", "Aborting…", "abort", facts.unfinished_note));
    root.appendChild(head);
    const problems = [["sign_again_error", "Could not sign again", "msc-presign-again-error"],
                      ["revoke_error", "Could not revoke", "msc-presign-revoke-error"],
                      ["abort_error", "Could not abort", "msc-presign-abort-error"]];
    for (const [name, what, testid] of problems) {
      const error = model.get(name);
      if (!error) continue;
      const problem = el("div", "msc-presign-warning", `⚠ ${what}: ${error}`);
      problem.dataset.testid = testid;
      root.appendChild(problem);
    }
    for (const [name, what] of [["revoked", "Revoked"], ["aborted", "Aborted"]]) {
      if (!facts[name]) continue;
      const done = el("div", "msc-presign-warning", `${what}: ${facts[name]}`);
      done.dataset.testid = `msc-presign-${name}`;
      root.appendChild(done);
    }
    const checked = model.get("check_result");
    if (checked && checked.text) {
      const block = codeBlock(checked.works ? "✓ Checked: it works" : "⚠ Checked: it does NOT work as sent",
                              checked.text, "msc-presign-check-result");
      block.querySelector("pre").dataset.works = String(checked.works);
      root.appendChild(block);
    }

    if (!compact) {
      const expiry = el("div", "msc-presign-expiry");
      expiry.dataset.testid = "msc-presign-expiry";
      const local = new Date(facts.effective_expiry_ms).toLocaleString();
      expiry.textContent = `Valid until ${facts.effective_expiry_utc} (${local} your time)`;
      root.appendChild(expiry);
      if (facts.warning) {
        const warn = el("div", "msc-presign-warning", `⚠ Cut short by ${facts.lifetime_lost_text}: ${facts.warning}`);
        warn.dataset.testid = "msc-presign-warning";
        root.appendChild(warn);
      }
      if (facts.not_before_utc) root.appendChild(el("div", "msc-presign-note", `Not valid before ${facts.not_before_utc}`));
      if (facts.ip_range) root.appendChild(el("div", "msc-presign-note", `Only from ${facts.ip_range}`));
      if (facts.kind === "share") {
        // Everything under the prefix as it was listed: one link to a signed manifest.
        const what = el("div", "msc-presign-note",
          `${facts.object_count.toLocaleString()} object${facts.object_count === 1 ? "" : "s"}, ${facts.total_size_text}. ` +
          facts.snapshot_note);
        what.dataset.testid = "msc-presign-share-contents";
        root.appendChild(what);
        root.appendChild(codeBlock("Share link (send only this)", facts.url, "msc-presign-url"));
      }
      if (facts.kind === "url") root.appendChild(codeBlock("URL", facts.url, "msc-presign-url"));
      if (facts.kind === "multipart") {
        const plan = el("div", "msc-presign-note", `Multipart upload: ${facts.upload_plan}.`);
        plan.dataset.testid = "msc-presign-upload-plan";
        root.appendChild(plan);
        if (!facts.aborted) {
          const cost = el("div", "msc-presign-warning", facts.unfinished_note);
          cost.dataset.testid = "msc-presign-unfinished";
          root.appendChild(cost);
        }
        if (facts.shell_script) root.appendChild(codeBlock("The uploader runs (sh, with curl)", facts.shell_script, "msc-presign-shell-script"));
        if (facts.python_script) root.appendChild(codeBlock("Or in Python (requests)", facts.python_script, "msc-presign-python-script"));
        if (facts.script_note) root.appendChild(el("div", "msc-presign-note", facts.script_note));
        root.appendChild(codeBlock("Abort it (its parts are deleted)", facts.abort_command, "msc-presign-abort-command"));
      }
      if (facts.kind === "post") {
        const limits = el("div", "msc-presign-note", `Upload policy: ${facts.upload_limits}.`);
        limits.dataset.testid = "msc-presign-upload-limits";
        root.appendChild(limits);
        if (facts.drop_box_note) {
          const note = el("div", "msc-presign-warning", facts.drop_box_note);
          note.dataset.testid = "msc-presign-drop-box";
          root.appendChild(note);
        }
        root.appendChild(codeBlock("POST the form to", facts.url, "msc-presign-url"));
      }
      if (facts.curl) root.appendChild(codeBlock("Upload with", facts.curl, "msc-presign-curl"));
      if (facts.block_upload_script) root.appendChild(codeBlock("A large file, in blocks (Python, requests)", facts.block_upload_script, "msc-presign-block-upload"));
      if (facts.azcopy_command) root.appendChild(codeBlock("Or with azcopy", facts.azcopy_command, "msc-presign-azcopy"));
      if (facts.html_form) root.appendChild(codeBlock("Or a page the uploader saves as upload.html and opens", facts.html_form, "msc-presign-html-form"));
      if (facts.requests_snippet) root.appendChild(codeBlock("Or in Python", facts.requests_snippet, "msc-presign-requests"));
      if (facts.query) root.appendChild(codeBlock(`Covers everything under ${facts.wildcard_base}; append to each object URL`, `?${facts.query}`, "msc-presign-query"));
      if (facts.cookie_header) root.appendChild(codeBlock("Cookies for the distribution's domain", facts.cookie_header, "msc-presign-cookies"));
      if (facts.zarr_snippet) root.appendChild(codeBlock("The recipient opens the dataset with", facts.zarr_snippet, "msc-presign-zarr"));
      for (const [name, text] of Object.entries(facts.recipes || {})) {
        root.appendChild(codeBlock(RECIPE_LABELS[name] || `Or with ${name}`, text, `msc-presign-recipe-${name}`));
      }
      if (facts.manifest_location) {
        const where = el("div", "msc-presign-note", `Manifest: ${facts.manifest_location}. ${facts.url_list_note}`);
        where.dataset.testid = "msc-presign-manifest";
        root.appendChild(where);
      }
      if (facts.revoke_note && !facts.revoked) {
        const note = el("div", "msc-presign-note", facts.revoke_note);
        note.dataset.testid = "msc-presign-revoke-note";
        root.appendChild(note);
      }
    }
    tick();
  }

  draw();
  model.on("change:facts", draw);
  model.on("change:compact", draw);
  for (const name of ["sign_again_error", "revoke_error", "abort_error", "check_result", "can_check"]) model.on(`change:${name}`, draw);
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

export default { render };
