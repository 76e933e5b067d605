// scale-callback: the task page's interactions. Loaded with defer from the
// server itself (the Content-Security-Policy allows no inline script).
//
// The SVG of shapes is laid over the image in the image's pixel coordinates:
// once the image loads, the SVG's viewBox becomes 0 0 naturalWidth
// naturalHeight. When it cannot load, the SVG keeps the viewBox the server
// computed from the shapes' extent and stands on its own.
(function () {
  'use strict';

  const canvas = document.querySelector('.canvas');
  if (!canvas) return;
  const stage = canvas.querySelector('.stage');
  const svg = canvas.querySelector('svg.shapes');
  const img = canvas.querySelector('img.attachment');
  const tip = document.getElementById('tip');
  const notice = document.getElementById('image-notice');

  // --k is how many image pixels one screen pixel covers, so that labels,
  // points and strokes keep their on-screen size whatever the zoom.
  function rescale() {
    const vb = svg.viewBox.baseVal;
    const width = svg.getBoundingClientRect().width;
    if (vb && vb.width > 0 && width > 0) {
      svg.style.setProperty('--k', String(vb.width / width));
    }
  }

  function loaded() {
    svg.setAttribute('viewBox', '0 0 ' + img.naturalWidth + ' ' + img.naturalHeight);
    canvas.dataset.state = 'loaded';
    rescale();
  }

  function failed() {
    canvas.dataset.state = 'failed';
    if (notice) notice.hidden = false;
    rescale();
  }

  if (img) {
    if (img.complete) {
      if (img.naturalWidth > 0) loaded(); else failed();
    } else {
      img.addEventListener('load', loaded);
      img.addEventListener('error', failed);
    }
  }
  rescale();
  if (window.ResizeObserver) new ResizeObserver(rescale).observe(svg);

  const shapeOf = (i) => document.getElementById('shape-' + i);
  const rowOf = (i) => document.getElementById('ann-' + i);

  // The tooltip takes its text from the annotation's row of the table.
  function showTip(shape) {
    const row = rowOf(shape.dataset.i);
    if (!tip || !row) return;
    tip.replaceChildren();
    const title = document.createElement('div');
    title.className = 'tip-title';
    title.textContent = row.querySelector('.label-text').textContent;
    const kind = document.createElement('div');
    kind.className = 'tip-kind';
    kind.textContent = '#' + shape.dataset.i + ' · ' + row.querySelector('.ann-type').textContent;
    tip.append(title, kind);
    const attrs = row.querySelector('.ann-attrs dl');
    if (attrs) tip.append(attrs.cloneNode(true));
    tip.style.setProperty('--tip-color', shape.getAttribute('stroke'));
    tip.hidden = false;

    const box = stage.getBoundingClientRect();
    const r = shape.getBoundingClientRect();
    let left = r.right - box.left + 10;
    if (left + tip.offsetWidth > box.width) left = Math.max(0, r.left - box.left - tip.offsetWidth - 10);
    const top = Math.max(0, Math.min(r.top - box.top, box.height - tip.offsetHeight));
    tip.style.left = left + 'px';
    tip.style.top = top + 'px';
  }

  function hideTip() {
    if (tip) tip.hidden = true;
  }

  function highlight(i, on) {
    const shape = shapeOf(i);
    const row = rowOf(i);
    if (row) row.classList.toggle('hl', on);
    if (!shape) return;
    shape.classList.toggle('hl', on);
    svg.classList.toggle('has-hl', on);
    if (on) showTip(shape); else hideTip();
  }

  svg.querySelectorAll('.shape').forEach((shape) => {
    const i = shape.dataset.i;
    shape.addEventListener('pointerenter', () => highlight(i, true));
    shape.addEventListener('pointerleave', () => highlight(i, false));
    shape.addEventListener('focus', () => highlight(i, true));
    shape.addEventListener('blur', () => highlight(i, false));
  });

  document.querySelectorAll('.annotations tbody tr').forEach((row) => {
    const i = row.dataset.i;
    row.addEventListener('pointerenter', () => highlight(i, true));
    row.addEventListener('pointerleave', () => highlight(i, false));
  });

  const toggle = document.getElementById('toggle-labels');
  if (toggle) {
    toggle.addEventListener('click', () => {
      const off = canvas.classList.toggle('labels-off');
      toggle.setAttribute('aria-pressed', String(!off));
      toggle.textContent = off ? 'Show labels' : 'Hide labels';
    });
  }

  // A legend entry hides or shows every shape of its label.
  document.querySelectorAll('.legend-item').forEach((item) => {
    item.addEventListener('click', () => {
      const on = item.getAttribute('aria-pressed') !== 'true';
      item.setAttribute('aria-pressed', String(on));
      svg.querySelectorAll('.shape').forEach((shape) => {
        if (shape.dataset.label === item.dataset.label) shape.classList.toggle('off', !on);
      });
    });
  });
})();
