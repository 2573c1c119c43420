/** WordPress 6.1's default roles (populate_roles()), plus LearnDash's group_leader, for demo and test data. */
const read = { read: true, level_0: true };
const contributor = { ...read, edit_posts: true, delete_posts: true, level_1: true };
const author = { ...contributor, upload_files: true, edit_published_posts: true, publish_posts: true, delete_published_posts: true, level_2: true };
const editor = {
  ...author, moderate_comments: true, manage_categories: true, manage_links: true, unfiltered_html: true, edit_others_posts: true,
  edit_pages: true, edit_others_pages: true, edit_published_pages: true, publish_pages: true, delete_pages: true, delete_others_pages: true,
  delete_published_pages: true, delete_others_posts: true, delete_private_posts: true, edit_private_posts: true, read_private_posts: true,
  delete_private_pages: true, edit_private_pages: true, read_private_pages: true, level_7: true, level_6: true, level_5: true, level_4: true, level_3: true,
};
const administrator = {
  ...editor, switch_themes: true, edit_themes: true, activate_plugins: true, edit_plugins: true, edit_users: true, edit_files: true,
  manage_options: true, import: true, level_10: true, level_9: true, level_8: true, edit_dashboard: true, update_plugins: true,
  delete_plugins: true, install_plugins: true, update_themes: true, install_themes: true, update_core: true, list_users: true,
  remove_users: true, promote_users: true, edit_theme_options: true, delete_themes: true, export: true, delete_users: true, create_users: true,
};

export const WP_DEFAULT_ROLES: Record<string, { name: string; capabilities: Record<string, boolean> }> = {
  administrator: { name: 'Administrator', capabilities: administrator },
  editor: { name: 'Editor', capabilities: editor },
  author: { name: 'Author', capabilities: author },
  contributor: { name: 'Contributor', capabilities: contributor },
  subscriber: { name: 'Subscriber', capabilities: read },
  group_leader: { name: 'Group Leader', capabilities: { ...read, group_leader: true } },
};
