//! Chart rendering tests: origins, subcharts and globals, limits on hostile charts.
