import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

/** The mounted application. */
export default mount(App, { target: document.getElementById('app') as HTMLElement });
