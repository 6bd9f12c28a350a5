// The only script: "复制" buttons for citations. Everything else works without JavaScript.
"use strict";

function selectText(el) {
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copyFrom(button) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent.trim();
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (err) {
    selectText(source);
    done = document.execCommand && document.execCommand("copy");
  }
  button.textContent = done ? "已复制" : "已选中，请按 Ctrl+C";
  setTimeout(() => { button.textContent = "复制"; }, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", () => copyFrom(button));
  }
});
