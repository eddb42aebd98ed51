// Issuance view: the personalization queue's progress (all jobs or one batch), refreshed every
// 2 s while the view is open, and queuing a batch of approved cards.
import { api, ApiError } from './api.js';
import { $, guarded, showError, showStatus } from './dom.js';

const REFRESH_MS = 2000;
const COUNTS = ['total', 'queued', 'claimed', 'done', 'failed', 'retries'];
const ISSUER_ROLES = ['clerk', 'supervisor', 'admin'];

let timer;
// Bumped on every start and stop, so an answer that arrives after leaving the view is dropped.
let generation = 0;
let batchId = '';
let deps;

function render(progress) {
  for (const name of COUNTS) $(`#iss-${name}`).textContent = String(progress[name]);
  const bar = $('#iss-bar');
  // An empty queue shows an empty bar rather than an indeterminate one.
  bar.max = Math.max(progress.total, 1);
  bar.value = progress.done;
  const percent = progress.total === 0 ? 0 : Math.floor((progress.done * 100) / progress.total);
  const summary = `${progress.done} of ${progress.total} cards personalized (${percent} %)`;
  // The summary is a live region: rewriting the same text every 2 s would make it speak again.
  if ($('#iss-summary').textContent !== summary) $('#iss-summary').textContent = summary;
  $('#iss-scope').textContent = batchId === '' ? 'All issuance jobs' : `Batch ${batchId}`;
}

async function refresh(ours) {
  const progress = batchId === '' ? await api.issuanceProgress() : await api.batchProgress(batchId);
  if (ours === generation) render(progress);
}

function schedule(ours) {
  timer = setTimeout(() => void tick(ours), REFRESH_MS);
}

async function tick(ours) {
  try {
    await refresh(ours);
  } catch (err) {
    // A 401 goes to the page's sign-out handler; anything else is shown and polling goes on.
    if (err instanceof ApiError && err.status === 401) {
      stopIssuance();
      throw err;
    }
    if (ours === generation) showError(err);
  }
  if (ours === generation) schedule(ours);
}

/** Starts polling (first read at once); a second call restarts it. */
export function startIssuance() {
  stopIssuance();
  const ours = generation;
  $('#iss-batch-form').hidden = !ISSUER_ROLES.includes(deps.currentStaff()?.role);
  void tick(ours);
}

/** Stops polling; safe to call when it is not running. */
export function stopIssuance() {
  generation += 1;
  clearTimeout(timer);
  timer = undefined;
}

export function initIssuance(dependencies) {
  deps = dependencies;
  $('#iss-scope-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = String(new FormData(event.currentTarget).get('batchId')).trim();
    void guarded(async () => {
      stopIssuance();
      const previous = batchId;
      batchId = wanted;
      try {
        await refresh(generation);
      } catch (err) {
        batchId = previous;
        throw err;
      } finally {
        startIssuance();
      }
    }, event.submitter);
  });
  $('#iss-batch-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const count = Number(new FormData(event.currentTarget).get('count'));
    void guarded(async () => {
      const answer = await api.queueBatch(count);
      showStatus(`Batch ${answer.batchId}: ${answer.jobIds.length} cards queued for personalization.`);
      batchId = answer.batchId;
      $('#iss-batch-id').value = answer.batchId;
      startIssuance();
    }, event.submitter);
  });
}
