/*
 * Runs in the browser, inlined into every report page after Chart.js and its
 * annotation plugin: draws each <canvas data-chart> from the page's embedded
 * data. Plain script, no imports: the page makes no request.
 */
/* global Chart */
(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const annotation = window['chartjs-plugin-annotation'];
  if (annotation) Chart.register(annotation);

  // Okabe–Ito blue for values, a light band; alerts also differ by point shape.
  const COLOR = {
    value: '#0072B2',
    band: 'rgba(86, 180, 233, 0.28)',
    mean: '#4d4d4d',
    limit: '#CC79A7',
    today: '#1b1f24',
    baselineBar: '#c7c7c7',
    CRITICAL: '#A40E26',
    WARNING: '#B36200',
    INFO: '#0550ae',
  };

  const formatter = (format, currency) => {
    if (format === 'money')
      return (v) =>
        `${currency ? `${currency} ` : ''}${v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 2 })}`;
    if (format === 'share') return (v) => `${(v * 100).toFixed(1)}%`;
    return (v) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  };

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#1b1f24';

  const BAND_UPPER = 'band (upper)';

  function metricChart(series) {
    const fmt = formatter(series.format, series.currency);
    const labels = series.points.map((p) => p.date.slice(5));
    const has = (key) => series.points.some((p) => p[key] !== null);
    /** A dashed line through one value of the points (the baseline mean, a fixed limit). */
    const dashedLine = (label, key, color, dash, width) => ({
      label,
      data: series.points.map((p) => p[key]),
      borderColor: color,
      borderDash: dash,
      borderWidth: width,
      pointRadius: 0,
    });
    const datasets = [];
    if (has('upper')) {
      datasets.push({
        label: BAND_UPPER,
        data: series.points.map((p) => p.upper),
        borderWidth: 0,
        pointRadius: 0,
        fill: false,
      });
      datasets.push({
        label: series.bandLabel,
        data: series.points.map((p) => p.lower),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: COLOR.band,
        fill: '-1',
      });
      datasets.push(dashedLine(data.meanLabel, 'mean', COLOR.mean, [4, 4], 1.5));
    }
    if (has('limit')) {
      datasets.push({ ...dashedLine(series.bandLabel, 'limit', COLOR.limit, [8, 4], 2), stepped: true });
    }
    const last = series.points.length - 1;
    datasets.push({
      label: series.label,
      data: series.points.map((p) => p.value),
      borderColor: COLOR.value,
      backgroundColor: COLOR.value,
      borderWidth: 2.5,
      pointStyle: series.points.map((p) => (p.alert ? 'triangle' : 'circle')),
      pointRadius: series.points.map((p, i) => (p.alert ? 8 : data.day && i === last ? 5 : 3)),
      pointBackgroundColor: series.points.map((p) => (p.alert ? COLOR[p.alert.severity] : COLOR.value)),
      pointBorderColor: series.points.map((p) => (p.alert ? COLOR[p.alert.severity] : COLOR.value)),
    });
    const annotations = {};
    if (data.day) {
      const today = series.points[last];
      annotations.day = {
        type: 'line',
        xMin: last,
        xMax: last,
        borderColor: COLOR.today,
        borderWidth: 1.5,
        borderDash: [2, 3],
      };
      // An alert on the day is named on the chart, beside its mark, pointing away from the band.
      if (today.alert && today.value !== null) {
        const below = today.mean !== null ? today.value < today.mean : false;
        annotations.dayAlert = {
          type: 'label',
          xValue: last,
          yValue: today.value,
          xAdjust: -52,
          yAdjust: below ? -4 : 4,
          content: today.alert.severity,
          color: '#ffffff',
          backgroundColor: COLOR[today.alert.severity],
          borderRadius: 3,
          padding: { x: 5, y: 2 },
          font: { size: 11, weight: 'bold' },
        };
      }
      // The band this day was judged against, drawn at the day itself: visible even when
      // it is the first day with a baseline.
      if (today.lower !== null && today.upper !== null) {
        annotations.dayBand = {
          type: 'box',
          xMin: last - 0.35,
          xMax: last + 0.35,
          yMin: today.lower,
          yMax: today.upper,
          backgroundColor: COLOR.band,
          borderColor: COLOR.value,
          borderWidth: 1,
          drawTime: 'beforeDatasetsDraw',
        };
        annotations.dayMean = {
          type: 'line',
          xMin: last - 0.35,
          xMax: last + 0.35,
          yMin: today.mean,
          yMax: today.mean,
          borderColor: COLOR.mean,
          borderDash: [4, 4],
          borderWidth: 1.5,
          drawTime: 'beforeDatasetsDraw',
        };
      }
    }
    return {
      type: 'line',
      data: { labels, datasets },
      options: {
        spanGaps: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: {
            offset: true,
            ticks: {
              maxRotation: 0,
              autoSkip: false,
              // Every step-th day counted back from the last, so the page's day always has its label.
              callback(_value, index) {
                const step = Math.max(
                  1,
                  Math.ceil(labels.length / Math.max(2, Math.floor(this.chart.width / 52))),
                );
                return (last - index) % step === 0 ? labels[index] : '';
              },
              // The page's day: bold and dark on the axis.
              font: (ctx) => (data.day && ctx.index === last ? { weight: 'bold' } : {}),
              color: (ctx) => (data.day && ctx.index === last ? COLOR.today : '#57606a'),
            },
          },
          // Headroom above and below: a point beyond the band must not sit on the chart's edge.
          y: { beginAtZero: series.format === 'share', grace: '10%', ticks: { callback: (v) => fmt(v) } },
        },
        plugins: {
          legend: {
            labels: {
              usePointStyle: true,
              boxHeight: 8,
              filter: (item) => item.text !== BAND_UPPER,
            },
          },
          tooltip: {
            filter: (item) => item.dataset.label !== BAND_UPPER && item.raw !== null,
            callbacks: {
              title: (items) => series.points[items[0].dataIndex].date,
              label: (item) => `${item.dataset.label}: ${fmt(item.raw)}`,
              afterBody: (items) => {
                const alert = series.points[items[0].dataIndex].alert;
                return alert ? `${alert.severity}: ${alert.check}` : '';
              },
            },
          },
          annotation: { annotations },
        },
      },
    };
  }

  function barsChart(rows) {
    const fmt = formatter('share');
    return {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.name),
        datasets: [
          { label: 'This day', data: rows.map((r) => r.today), backgroundColor: COLOR.value },
          {
            label: data.meanLabel,
            data: rows.map((r) => r.baseline),
            backgroundColor: COLOR.baselineBar,
            borderColor: COLOR.mean,
            borderWidth: 1,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => fmt(v) } } },
        plugins: {
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${fmt(item.raw ?? 0)}` } },
        },
      },
    };
  }

  let drawn = 0;
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const kind = canvas.dataset.chart;
    const config =
      kind === 'metric'
        ? metricChart(data.metrics.find((m) => m.key === canvas.dataset.metric))
        : barsChart(data[kind]);
    new Chart(canvas, config);
    drawn++;
  }
  // Tests and screenshots wait for this.
  document.documentElement.dataset.chartsDrawn = String(drawn);
})();
