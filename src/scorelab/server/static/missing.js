/* A page that names nothing this server has: the header only. */
"use strict";
