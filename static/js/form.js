// The configuration panel: state <-> form controls, conditional fields, and errors next to fields.
import { fieldErrorLine } from './api.js';
import { FIELDS, parseValues, shapedInitialState, textLines } from './state.js';

const CONFIG = FIELDS.filter((f) => f.config);

function readField(el, f) {
  if (f.type === 'bool') return el.checked;
  if (f.type === 'int' || f.type === 'float') return el.value.trim() === '' ? NaN : Number(el.value);
  return el.value;
}

/**
 * The form `form`: fill(state), read() the configuration fields, show errors per request field.
 * onSubmit(configFields) runs when the user asks for a run. `fields` are the fields it holds
 * (state.js' configuration by default; the Learn page gives its own).
 */
export function createForm(form, { onSubmit, fields = CONFIG }) {
  const control = (name) => form.elements.namedItem(name);
  const errorSlots = [...form.querySelectorAll('[data-error-for]')];
  const general = form.querySelector('[data-error-for=""]');

  function read() {
    return Object.fromEntries(fields.map((f) => {
      const el = control(f.name);
      return [f.name, el instanceof RadioNodeList ? el.value : readField(el, f)];
    }));
  }

  /** Show the fields each condition needs: data-when="name=value[|value]" (cell=gru, input=text, ...). */
  function toggleConditional() {
    const state = read();
    for (const el of form.querySelectorAll('[data-when]')) {
      const [name, values] = el.dataset.when.split('=');
      el.hidden = !values.split('|').includes(String(state[name]));
    }
  }

  function prefillCustomState() {
    const state = read();
    const box = control('initial_state');
    if (state.init !== 'custom' || box.value.trim()) return;
    try {
      const batch = state.input === 'text' ? textLines(state.text).length : parseValues(state.values).length;
      box.value = JSON.stringify(shapedInitialState(state, batch, () => 0));
    } catch {
      box.value = '';
    }
  }

  /** The controls an error slot describes (their aria-describedby names it): marked invalid while it shows a message. */
  const describedBy = (slot) => [...form.querySelectorAll('[aria-describedby]')]
    .filter((el) => el.getAttribute('aria-describedby').split(/\s+/).includes(slot.id));

  form.addEventListener('change', () => {
    toggleConditional();
    prefillCustomState();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(read());
  });

  return {
    /** The configuration fields as the controls hold them now. */
    read,
    /** Put a state's configuration into the controls. */
    fill(state) {
      for (const f of fields) {
        const el = control(f.name);
        if (el instanceof RadioNodeList) el.value = state[f.name];
        else if (f.type === 'bool') el.checked = state[f.name];
        else el.value = String(state[f.name]);
      }
      toggleConditional();
    },
    /**
     * Show each error next to the field its path names (the longest matching prefix), or at the
     * top; an error about a part of the field (sequence_length.0) or with no slot of its own names its field.
     */
    showErrors(errors) {
      for (const { field, name = field, message } of errors) {
        const slot = errorSlots
          .filter((s) => s.dataset.errorFor && (field === s.dataset.errorFor || field.startsWith(`${s.dataset.errorFor}.`)))
          .sort((a, b) => b.dataset.errorFor.length - a.dataset.errorFor.length)[0] ?? general;
        const text = !field || field === slot.dataset.errorFor ? message : fieldErrorLine({ name, message });
        slot.textContent = slot.textContent ? `${slot.textContent}\n${text}` : text;
        slot.hidden = false;
        for (const el of describedBy(slot)) el.setAttribute('aria-invalid', 'true');
        slot.closest('details')?.setAttribute('open', '');
      }
      form.querySelector('[data-error-for]:not([hidden])')?.scrollIntoView({ block: 'nearest' });
    },
    /** Remove every error message. */
    clearErrors() {
      for (const slot of errorSlots) {
        slot.textContent = '';
        slot.hidden = true;
      }
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    },
    /** Mark the form busy while a run is in flight. */
    busy(on) {
      form.setAttribute('aria-busy', String(on));
      form.querySelector('[type=submit]').disabled = on;
    },
  };
}
