// The vehicle card's style sheet (its shadow root's <style>): data only,
// loaded by cardata-vehicle-card.js with its version query.

export const STYLE = `
  :host { display: block; }
  ha-card { padding: 16px; color: var(--primary-text-color); }
  .head { display: flex; align-items: center; gap: 12px; }
  .head .titles { flex: 1; min-width: 0; }
  .name { font-size: 1.25em; font-weight: 500; overflow: hidden;
    text-overflow: ellipsis; white-space: nowrap; }
  .model { color: var(--secondary-text-color); }
  .picture { display: flex; justify-content: center; margin: 8px 0;
    color: var(--secondary-text-color); }
  .picture img { max-width: 100%; max-height: 160px; object-fit: contain; }
  .drawing { width: 70%; max-width: 260px; height: auto; }
  section { border-top: 1px solid var(--divider-color); padding: 10px 0 4px; }
  h3 { margin: 0 0 6px; font-size: 0.9em; font-weight: 500;
    color: var(--secondary-text-color); display: flex; align-items: center;
    gap: 6px; }
  h3 ha-icon { --mdc-icon-size: 18px; }
  .tiles { display: grid; gap: 6px 12px;
    grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); }
  .value { cursor: pointer; border-radius: 6px; padding: 2px 4px;
    margin: 0 -4px; }
  .value:hover, .value:focus-visible { background: var(--secondary-background-color); outline: none; }
  .label { font-size: 0.8em; color: var(--secondary-text-color); }
  .big { font-size: 1.6em; font-weight: 500; }
  .bar { position: relative; height: 10px; border-radius: 5px; margin: 6px 0;
    background: var(--divider-color); overflow: visible; }
  .bar .fill { position: absolute; inset: 0 auto 0 0; border-radius: 5px;
    background: var(--success-color, #43a047); }
  .bar.fuel .fill { background: var(--primary-color); }
  .bar .mark { position: absolute; top: -3px; bottom: -3px; width: 2px;
    background: var(--primary-text-color); }
  .bar .mark.predicted { background: transparent;
    border-left: 2px dashed var(--warning-color, #ffa600); }
  .estimate { font-style: italic; color: var(--secondary-text-color); }
  .estimate.differs { color: var(--warning-color, #ffa600); }
  .quiet { color: var(--secondary-text-color); }
  .summary { display: flex; flex-wrap: wrap; gap: 4px 16px; }
  .open { color: var(--error-color, #db4437); }
  details summary { cursor: pointer; color: var(--secondary-text-color);
    font-size: 0.85em; margin-top: 4px; }
  details ul { list-style: none; margin: 4px 0 0; padding: 0; }
  details li { display: flex; justify-content: space-between; gap: 8px; }
  .wheels { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 12px; }
  .empty { color: var(--secondary-text-color); }
  details li.trip { display: block; padding: 3px 0; }
  li.trip .figures { font-size: 0.85em; color: var(--secondary-text-color); }
`;
