// What a snapshot's pages and the reader's service worker (src/sw) share: the worker's file, the
// page it shows for a page never read when nothing answers, and the pages' one script, which
// registers it (the health checker's content analysis knows it is not planted).
export const SERVICE_WORKER_PATH = '/sw.js';
export const OFFLINE_PATH = '/offline.html';

/**
 * The one script a page carries: it registers the snapshot's service worker, named (relative to
 * the page) by its data-sw attribute, with the snapshot's root as scope. The same text in every
 * page, so one hash allows it; without JavaScript, or without service workers, it does nothing.
 */
export const REGISTER_SCRIPT =
  '(function(){var n=navigator.serviceWorker,s=document.currentScript,p=s&&s.getAttribute("data-sw");' +
  'if(n&&p){var u=new URL(p,location.href);n.register(u.href,{scope:new URL("./",u).href}).catch(function(){})}})();';
