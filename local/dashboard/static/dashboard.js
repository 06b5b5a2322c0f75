// The local dashboard's page: polls /api/counts and /api/lag every few seconds and draws what they
// answer. A component that is down shows as an alert naming it; the last numbers stay, greyed out.
/* global uPlot */

const CATEGORIES = ['good', 'suspicious', 'bad'];
const COLOURS = { good: '#2e7d32', suspicious: '#ef6c00', bad: '#c62828' };
const fmt = new Intl.NumberFormat('en-US');
const $ = (id) => document.getElementById(id);

let chart;
let renders = 0;

function alertIn(id, message) {
  const el = $(id);
  el.textContent = message ?? '';
  el.hidden = !message;
}

function chartWidth() {
  return Math.max(320, $('chart').clientWidth);
}

function drawChart(overTime) {
  const data = [overTime.times.map((t) => t / 1000), ...CATEGORIES.map((c) => overTime.counts[c])];
  if (!chart) {
    chart = new uPlot(
      {
        width: chartWidth(),
        height: 320,
        scales: { x: { time: true } },
        series: [
          { label: 'time' },
          ...CATEGORIES.map((c) => ({
            label: c,
            stroke: COLOURS[c],
            width: 2,
            fill: `${COLOURS[c]}1a`,
            points: { show: true, size: 4 },
          })),
        ],
        axes: [{}, { label: 'events per interval', size: 70 }],
      },
      data,
      $('chart'),
    );
    window.addEventListener('resize', () => chart.setSize({ width: chartWidth(), height: 320 }));
  } else {
    chart.setData(data);
  }
  renders += 1;
  // What a test (or a curious person) can check: how many answers the chart has drawn, and how many
  // events it plots in all.
  $('chart').dataset.renders = String(renders);
  $('chart').dataset.plotted = String(data.slice(1).reduce((n, s) => n + s.reduce((a, b) => a + b, 0), 0));
  const seconds = overTime.intervalMs / 1000;
  $('interval').textContent = `(${seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`} buckets)`;
}

function showCounts(answer) {
  const cards = document.querySelector('.cards');
  if (!answer.ok) {
    alertIn('search-status', answer.error);
    cards.classList.add('stale');
    document.body.dataset.counts = 'error';
    return;
  }
  alertIn('search-status', undefined);
  cards.classList.remove('stale');
  for (const c of CATEGORIES) $(`total-${c}`).textContent = fmt.format(answer.totals[c]);
  $('total-all').textContent = fmt.format(answer.total);
  $('events-per-second').textContent = fmt.format(answer.eventsPerSecond);
  drawChart(answer.overTime);
  document.body.dataset.counts = 'ok';
}

function showLag(answer) {
  const body = document.querySelector('#lag tbody');
  if (!answer.ok) {
    alertIn('kafka-status', answer.error);
    document.body.dataset.lag = 'error';
    return;
  }
  alertIn('kafka-status', undefined);
  const rows = answer.groups.map((g) => {
    const tr = document.createElement('tr');
    tr.dataset.group = g.groupId;
    tr.dataset.topic = g.topic;
    for (const [text, cls] of [[g.groupId], [g.topic], [g.state], [fmt.format(g.lag), 'num lag']]) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td colspan="4">no consumer group has committed offsets yet</td>';
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  document.body.dataset.lag = 'ok';
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function poll(config) {
  try {
    const [counts, lag] = await Promise.all([getJson('/api/counts'), getJson('/api/lag')]);
    showCounts(counts);
    showLag(lag);
    $('updated').textContent = `updated ${new Date(counts.at).toLocaleTimeString('en-GB')}`;
  } catch (error) {
    alertIn(
      'search-status',
      `dashboard server unreachable (${error.message}): is \`npm run dashboard\` running?`,
    );
    document.body.dataset.counts = 'error';
  }
  setTimeout(() => poll(config), config.refreshMs);
}

async function start() {
  const config = await getJson('/api/config');
  $('subtitle').textContent =
    `index prefix ${config.indexPrefix} · OpenSearch ${config.opensearchUrl} · Kafka ${config.brokers.join(', ')} · every ${config.refreshMs / 1000} s`;
  await poll(config);
}

start().catch((error) => alertIn('search-status', `dashboard failed to start: ${error.message}`));
