// Installed in the page before its own script (page.addInitScript): records every value each progress bar takes,
// by its row's data-id, in window.bars.
window.bars = {};
new MutationObserver((mutations) => {
  for (const m of mutations) {
    const id = m.target.parentElement && m.target.parentElement.dataset.id;
    if (id !== undefined) (window.bars[id] ??= []).push(Number(m.target.getAttribute('value')));
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['value'] });
